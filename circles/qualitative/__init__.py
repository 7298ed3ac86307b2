"""The qualitative side of the method: sources → codings → needs, barriers, aspirations and fears.

Modules, in data-flow order:

``model``      the shared records: :class:`Code`, :class:`Codebook`, :class:`Source` and the segment table
``codebook``   reading, validating and printing codebooks (YAML, CSV)
``sources``    reading workshop notes, interviews and survey responses; units (sentence, turn, paragraph);
               re-anchoring segments when a source changes
``coding``     manual codings, rule-based autocoding with a preview, machine suggestions (scikit-learn)
``agreement``  percent agreement, Cohen's kappa and Krippendorff's alpha between coders
``analysis``   counts by attribute, co-occurrence, the quote bank, the summary per dimension
``refi``       REFI-QDA codebook (.qdc) and project (.qdpx) export and import
"""
