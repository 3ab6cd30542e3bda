"""Reading feedback files (CSV or XLSX) and turning their rows into note values (no database writes).

``reading`` gets the header and rows out of the bytes (size, encoding, format); ``mapping`` guesses
which column holds which field and checks every row, naming the row and the field of each problem.
"""
