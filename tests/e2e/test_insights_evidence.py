"""Selecting a passage of a note in the browser highlights exactly those characters of the stored
text, even when the browser shows the text differently (CR LF and lone CR read as LF, an emoji is
two UTF-16 units in JavaScript but one character in Python, markup-like text shown escaped)."""

import pytest

from headway.backlog.tests import factories as backlog
from headway.insights.models import Highlight
from headway.insights.tests import factories as nf

pytestmark = pytest.mark.django_db(transaction=True)


def test_select_a_passage_and_link_it_to_a_feature(sign_in, live_server, leader, pm, workspace):
    product = backlog.product(leader, workspace, key="PAY", owner=pm)
    feature = backlog.feature(leader, product, "Faster CSV export")
    text = "Hi 😀 team,\r\n\r\nthe <b>export</b> is slow &amp; crashes.\rBye"
    note = nf.note(workspace, text)
    page = sign_in(pm)
    page.goto(f"{live_server.url}/w/acme/insights/notes/{note.pk}/")
    page.evaluate("""() => {
      const el = document.getElementById('note-text');
      const node = el.firstChild;
      const t = node.textContent;
      const s = t.indexOf('<b>export');
      const e = t.indexOf('crashes.') + 'crashes.'.length;
      const r = document.createRange(); r.setStart(node, s); r.setEnd(node, e);
      const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
      document.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
    }""")
    page.wait_for_timeout(300)
    page.fill("[data-target-search]", "PAY-1")
    page.wait_for_timeout(800)
    page.press("[data-target-search]", "Enter")
    page.click("[data-highlight-submit]")
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Linked as evidence for PAY-1.").is_visible()
    h = Highlight.objects.get()
    assert h.feature_id == feature.pk
    assert h.quote == "<b>export</b> is slow &amp; crashes."
    assert text[h.start : h.end] == h.quote
    assert page.locator("mark").count() == 1
    assert page.locator("mark").inner_text() == "<b>export</b> is slow &amp; crashes."
