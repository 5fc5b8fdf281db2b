"""`pressctl contacts import`: other tools' contact files into the book, matched, never duplicated.

The flow is one way: read the source (decode, recognise its format, map each row to a `Record`),
then merge the records into the book's text (match by address, then number; append the new ones in
the book's own style), check the result, and write it atomically.
"""
