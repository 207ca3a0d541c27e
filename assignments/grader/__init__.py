"""The assignments' grader: student copies, hidden tests, a sandbox, a parallel batch, feedback.

Modules, in the order a submission meets them: ``notebooks`` (masters, student
copies, bundles), ``checks`` (kinds of check, expected answers, scoring),
``submissions`` (the folder read before the batch: names, notebooks as Jupyter shows
them, the batch's assignment), ``sandbox`` (bubblewrap and limits), ``runner`` (what
runs inside), ``batch`` (many submissions side by side into one CSV), ``feedback``
(a file per student); ``model`` holds the statuses and the instructor's refusals.
"""
