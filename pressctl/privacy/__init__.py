"""Privacy requests (SPEC §8): `contacts show --personal-data` (subject access) and `contacts forget` (erasure).

Both start from the same question — where does pressctl hold this person? — answered once, in
`places`: the book, the releases that name them, the generated files (export job outputs listed in
manifests, merged messages, the send journal).
"""
