"""The assignments' grader, a pipeline: each step is one module, and hands one data type to the next.

Building (``build``: ``make assignments``), for each master notebook in ``assignments/``:

1. ``master``    master notebook -> ``model.Assignment``: its ``model.Question``s, their
                 ``model.Test``s (each read by ``checks.read_test``) and ``model.Written`` answers
2. ``expect``    the master's solutions run in the sandbox ("submission zero") -> the expected
                 answers, one per Test; scored by ``score``, they must earn full marks
3. ``release``   -> the student copy (a notebook: solutions cut, self-check cells of ``selfcheck``
                 with the comparisons of ``compare``), which must score 0 untouched;
   ``bundle``    -> ``bundle.Bundle``: tests and expected answers, outside the published folder

Grading (``batch``: ``make grade``), for each submission:

4. ``submissions``  the file, as Jupyter shows it -> ``submissions.Submission``
5. ``protocol``     its code cells and the calls (``checks.calls``), run by ``sandbox`` and
                    ``runner`` -> ``protocol.Answers``: raw answers, untrusted data
6. ``score``        raw answers -> ``score.Result`` per Test (judged by ``checks.KINDS``, the one
                    table of kinds of test) -> points per question
7. reports          ``feedback`` (a Markdown file per student), the CSV row (``batch``), ``stats``
                    (the class's page); for a term, ``term`` joins ``intake`` (the LMS download
                    matched to the ``roster``), ``gradebook`` (deadlines: ``policy``), ``manual``
                    (written answers) and ``export`` (Canvas and Moodle files)

``model`` holds the shared types, with the statuses of a submission and the refusals of the
instructor's input (``AuthoringError`` names the file, the cell and the field).
"""
