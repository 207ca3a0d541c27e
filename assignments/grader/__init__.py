"""The assignments' grader, a pipeline; each module is one step, each step has one data type.

Building (``build``, ``make assignments``), for each master notebook:
``master`` (notebook -> ``model.Assignment``: questions and tests, refusals naming file, cell and
field) -> ``expect`` (the master's solutions run in the sandbox as "submission zero" -> expected
answers; full marks on its own tests or a refusal) -> ``release`` (the student copy, with
``selfcheck`` cells for the public tests) and ``bundle`` (tests and expected answers, the only
input of grading).

Grading (``batch``, ``make grade``), for each submission: ``submissions`` (the file read as
Jupyter shows it, before anything runs) -> ``protocol`` (the job out, raw answers back) through
``sandbox`` (bubblewrap and ``Limits``) and ``runner`` (what runs inside) -> ``checks`` (the one
table of kinds of test: calls, expected answers, judging raw answers, points) -> ``feedback``
(a file per student) and the CSV, then ``stats`` (the class statistics page). ``model`` holds the
shared types.

A term (``make grade ... ROSTER=``, after the batch): ``intake`` (every file of the LMS download,
matched to a student of the ``roster``) -> ``gradebook`` (each student's entry per assignment,
with the deadline ``policy``) and ``manual`` (written answers: review pages and score sheets) ->
``export`` (Canvas and Moodle files), all run by ``term``.
"""
