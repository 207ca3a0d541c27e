"""Running a term: the roster, LMS downloads in, LMS files out, deadlines, written answers, statistics.

These tests use the grader only through its CSV rows and the masters' question lists;
none starts a sandbox.
"""

import csv
import dataclasses
import os
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

import grading  # noqa: F401 -- puts the grader on the path
from grader import gradebook, intake, roster
from grader.export import canvas, moodle
from grader.model import Refused
from grader.policy import Policy, when

# The grader's tests are a step of their own: `make test-grading` (README).
pytestmark = pytest.mark.grading

ROSTER = """id,name,email,canvas_id,moodle_id,section,tutor
s001,Ada Lovelace,ada@uni.edu,1001,51,A,Kim
s002,Émile Borel,emile@uni.edu,1002,52,B,Lee
s003,Kurt Gödel,kurt@uni.edu,1003,53,A,Kim
s004,Emmy Noether,emmy@uni.edu,1004,54,B,Lee
"""
QUESTIONS = {"a1": ["q1", "q2"]}
DUE = datetime(2025, 3, 1, 23, 59, tzinfo=timezone.utc)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def make_roster(tmp_path, text=ROSTER):
    return roster.read(write(tmp_path / "roster.csv", text))


def touch(folder, name, at=DUE - timedelta(hours=1)):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def read(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


# ---------------------------------------------------------------- roster

def test_a_roster_keeps_the_instructors_columns_and_matches_headers_loosely(tmp_path):
    r = make_roster(tmp_path, ROSTER.replace("canvas_id", "Canvas ID").replace("email", "Email Address"))
    assert [s.id for s in r.students] == ["s001", "s002", "s003", "s004"]
    assert r.by_id["s002"].email == "emile@uni.edu" and r.by_id["s002"].canvas_id == "1002"
    assert r.columns == ["tutor"] and r.by_id["s001"].extra == (("tutor", "Kim"),)


@pytest.mark.parametrize("text, said", [
    (ROSTER + "s002,Someone Else,else@uni.edu,,,,\n", "roster.csv, line 6, field id: 's002' is also the id of line 3"),
    (ROSTER + "s005,X,ada@uni.edu,,,,\n", "roster.csv, line 6, field email: 'ada@uni.edu' is also the email of line 2"),
    (ROSTER + "s005,X,not-an-email,,,,\n", "roster.csv, line 6, field email: 'not-an-email' is not an email address"),
    (ROSTER + ",X,x@uni.edu,,,,\n", "roster.csv, line 6, field id: the student has no id"),
    ("name,email\nAda,ada@uni.edu\n", "roster.csv, line 1: the roster has no id column"),
    (ROSTER + "s005,X,x@uni.edu,,,,,,extra\n", "roster.csv, line 6: the row has 9 fields, the header 7"),
    ("id,name\n", "roster.csv: the roster lists no student"),
    ("id,name,extension\ns1,A,2\ns2,B,2025-03-03\ns3,C,next week\n",
     "roster.csv, line 4, field extension: 'next week' is neither a date and time such as 2025-03-03T23:59 nor a "
     "number of days"),
])
def test_a_bad_roster_is_one_sentence_naming_file_line_and_field(tmp_path, text, said):
    with pytest.raises(Refused) as error:
        make_roster(tmp_path, text)
    assert str(error.value).startswith(said)
    assert "\n" not in str(error.value)


# ---------------------------------------------------------------- LMS downloads in

def test_every_file_of_a_mixed_download_is_matched_or_says_why_not(tmp_path):
    r = make_roster(tmp_path)
    subs = tmp_path / "subs"
    touch(subs, "lovelaceada_1001_777001_a1.ipynb")                        # Canvas, by user id
    touch(subs, "borelemile_LATE_9999_777002_a1-1.IPYNB")                  # Canvas, unknown id, by folded name
    touch(subs, "Kurt Gödel_53_assignsubmission_file_/a1.ipynb")            # Moodle
    touch(subs, "s004/work/a1.ipynb")                                        # a folder per student
    touch(subs, "s004/notes.txt")
    touch(subs, "stranger_2000_1_a1.ipynb")                                  # Canvas, nobody
    touch(subs, "lovelaceada_10x01_1_a1.ipynb")                              # malformed Canvas name
    touch(subs, "o_brienpat_1005_3_a1.ipynb")                               # Canvas keeps a name's "_"
    touch(subs, "Emmy Noether_5x4_assignsubmission_file_/a1.ipynb")         # malformed Moodle folder
    touch(subs, "README.md")
    found, skipped = intake.walk(subs)
    assert sorted(s.name for s in skipped) == ["README.md", "s004/notes.txt"]
    owners = {f.name: intake.owner(f, r) for f in found}
    assert len(owners) == 8
    who = {name: (s.id if s else why) for name, (s, why) in owners.items()}
    assert who["lovelaceada_1001_777001_a1.ipynb"] == "s001"
    assert who["borelemile_LATE_9999_777002_a1-1.IPYNB"] == "s002"
    assert who["Kurt Gödel_53_assignsubmission_file_/a1.ipynb"] == "s003"
    assert who["s004/work/a1.ipynb"] == "s004"
    assert who["stranger_2000_1_a1.ipynb"] == "no student of the roster is Canvas user 2000 (stranger)"
    assert who["lovelaceada_10x01_1_a1.ipynb"] == (
        "its name starts like a Canvas download's (<name>_[LATE_]<user id>_<file id>_<file>), but its field "
        "user id, '10x01', is not a number")
    assert who["o_brienpat_1005_3_a1.ipynb"] == "no student of the roster is Canvas user 1005 (o_brienpat)"
    assert who["Emmy Noether_5x4_assignsubmission_file_/a1.ipynb"] == (
        "its folder's name looks like Moodle's (<Full Name>_<participant id>_assignsubmission_<plugin>_), but its "
        "field participant id '5x4' is not a number")
    late = {f.name: f.late for f in found}
    assert late["borelemile_LATE_9999_777002_a1-1.IPYNB"] and not late["lovelaceada_1001_777001_a1.ipynb"]


def test_a_file_named_only_ipynb_is_a_notebook(tmp_path):
    """Any .ipynb file is a notebook, as the page says: one named just `.ipynb` (a student's file kept in a
    Moodle folder) was skipped as "not a notebook (no extension)"."""
    touch(tmp_path / "subs", "Ada Lovelace_51_assignsubmission_file_/.ipynb")
    touch(tmp_path / "subs", "README")
    found, skipped = intake.walk(tmp_path / "subs")
    assert [f.name for f in found] == ["Ada Lovelace_51_assignsubmission_file_/.ipynb"]
    assert [(s.name, s.reason) for s in skipped] == [("README", "not a notebook (no extension)")]


def test_a_canvas_name_that_reads_as_two_users_counts_for_no_student_it_does_not_prove_is_theirs(tmp_path):
    """An outside attack: mal_1001_1_1003_7721_a1.ipynb was read as Canvas user 1001 (the shortest name before
    two numbers), so that it superseded user 1001's own notebook and took her grade. Canvas's name part and the
    student's own file name may both hold _<number>_<number>_: read from the left or from the right, one of
    them can name another student."""
    r = make_roster(tmp_path)
    subs = tmp_path / "subs"
    ordinary = {"lovelaceada_1001_7720_a1.ipynb": ("s001", False), "borelemile_LATE_1002_7721_a1.ipynb": ("s002", True),
                "borelemile_late_1002_7722_a1 (1).ipynb": ("s002", True),
                "noetheremmy_1004_7723_a1_v2.ipynb": ("s004", False)}
    attacks = ["mal_1001_1_1003_7721_a1.ipynb",                       # the name part holds Ada's id
               "godelkurt_1003_7724_lovelaceada_1001_7720_a1.ipynb",   # the file's own name holds Ada's prefix
               "mal_late_1001_1_9999_7725_a1.ipynb"]                   # its own user (9999) is in no roster
    for name in [*ordinary, *attacks]:
        touch(subs, name)
    found, _ = intake.walk(subs, r)
    owners = {f.name: intake.owner(f, r) for f in found}
    for name in attacks:
        student, why = owners[name]
        assert student is None and why.startswith("its name reads as Canvas's download of more than one user (user ")
        assert "the grader does not guess whose it is" in why
    assert "user 1001 named 'mal', user 1 named 'mal_1001', user 1003 named 'mal_1001_1'" in owners[attacks[0]][1]
    assert {n: (owners[n][0].id, owners[n][1]) for n in ordinary} == {n: (s, None) for n, (s, _) in ordinary.items()}
    assert {f.name: f.late for f in found if f.name in ordinary} == {n: late for n, (_, late) in ordinary.items()}
    # without a roster no such name is any user's, so that its notebook supersedes no one's (batch.submitter)
    assert {f.name: f.key for f in intake.walk(subs)[0] if f.name in attacks} == dict.fromkeys(attacks, "")


def test_a_canvas_name_with_two_readings_counts_where_only_one_is_a_student_s_id_and_name(tmp_path):
    """An honest file name may hold _<number>_<number>_ too: with a roster, the one reading whose user id and
    name are a student's counts, noted for the instructor; a reading of a student's id under another name does not."""
    r = make_roster(tmp_path)
    subs = tmp_path / "subs"
    touch(subs, "godelkurt_1003_7720_hw_1_2_final.ipynb")     # also user 1 named 'godelkurt_1003_7720_hw'
    touch(subs, "godelkurt_LATE_1003_7721_hw_1_2_x.ipynb")
    touch(subs, "someone_1003_7722_x_9_8_y.ipynb")            # 1003 is Kurt's id, not his name
    found, _ = intake.walk(subs, r)
    owners = {f.name: intake.owner(f, r) for f in found}
    for name in ("godelkurt_1003_7720_hw_1_2_final.ipynb", "godelkurt_LATE_1003_7721_hw_1_2_x.ipynb"):
        student, why = owners[name]
        assert student.id == "s003" and why.endswith("counted for s003 (Kurt Gödel, line 4), the one student of the "
                                                      "roster whose Canvas id and name it holds; check that it is theirs")
    assert {f.name: f.late for f in found} == {"godelkurt_1003_7720_hw_1_2_final.ipynb": False,
                                               "godelkurt_LATE_1003_7721_hw_1_2_x.ipynb": True,
                                               "someone_1003_7722_x_9_8_y.ipynb": False}
    assert owners["someone_1003_7722_x_9_8_y.ipynb"][0] is None


def test_a_missing_folder_is_one_sentence(tmp_path):
    with pytest.raises(Refused, match="does not exist or is not a folder"):
        intake.walk(tmp_path / "nowhere")


def test_a_name_that_fits_two_students_is_not_guessed(tmp_path):
    r = make_roster(tmp_path, ROSTER + "s005,Ada Lovelace,ada2@uni.edu,,,,\n")
    found, _ = intake.walk(tmp_path / "subs" if touch(tmp_path / "subs", "Ada Lovelace/a1.ipynb") else None)
    student, why = intake.owner(found[0], r)
    assert student is None and "fits 2 students of the roster (lines 2, 6)" in why


# ---------------------------------------------------------------- the term's entries

def grades_row(name, status="ok", q1=1, q2=2, assignment="a1"):
    return {"submission": name, "assignment": assignment, "status": status, "total": str(q1 + q2),
            "max_total": "5", "q1": str(q1), "q2": str(q2)}


def small_term(tmp_path, policy=None, written=None):
    r = make_roster(tmp_path)
    subs = tmp_path / "subs"
    touch(subs, "s001/a1.ipynb", DUE - timedelta(days=2))
    touch(subs, "s001/a1-again.ipynb", DUE - timedelta(hours=2))                  # the latest one counts
    touch(subs, "s001/a1-first.ipynb", DUE - timedelta(days=3))
    touch(subs, "s001/a1-broken.ipynb", DUE - timedelta(hours=1))                 # later, but of no assignment
    moodle = "Émile Borel_52_assignsubmission_file_/a1.ipynb"
    touch(subs, moodle, DUE + timedelta(hours=30))
    touch(subs, "nobody/a1.ipynb")
    found, skipped = intake.walk(subs)
    rows = {n: grades_row(n) for n in ["s001/a1.ipynb", "s001/a1-first.ipynb", "nobody/a1.ipynb"]}
    rows["s001/a1-again.ipynb"] = grades_row("s001/a1-again.ipynb", q1=2, q2=3)
    rows["s001/a1-broken.ipynb"] = grades_row("s001/a1-broken.ipynb", "not a readable notebook (ValueError)", 0, 0, "")
    rows[moodle] = grades_row(moodle, "syntax error in cell 4", 0, 2)
    return r, gradebook.build(r, found, skipped, rows, QUESTIONS, {"a1": policy or Policy()}, written,
                              {"a1": 2.0} if written is not None else None)


def test_every_student_gets_a_row_and_every_file_a_place(tmp_path):
    _, term = small_term(tmp_path)
    entries = {e.student.id: e for e in term.entries["a1"]}
    assert list(entries) == ["s001", "s002", "s003", "s004"]
    assert entries["s001"].submission == "s001/a1-again.ipynb" and entries["s001"].final == 5
    assert entries["s002"].status == "syntax error in cell 4" and entries["s002"].final == 2
    assert entries["s003"].status == entries["s004"].status == "no submission"
    graded = "not counted: s001/a1-again.ipynb is the submission of s001 graded"
    assert term.others == [("s001/a1-broken.ipynb", graded), ("s001/a1-first.ipynb", graded),
                            ("s001/a1.ipynb", graded)]
    assert set(term.superseded.values()) == {"s001/a1-again.ipynb"} and len(term.superseded) == 3
    assert term.unmatched == [("nobody/a1.ipynb", "no student of the roster is the folder 'nobody'")]


def test_a_refused_notebook_is_no_submission_not_a_zero_in_the_lms_files(tmp_path):
    """A notebook the grader refused (another assignment, unreadable, too large) has a row of no assignment:
    its student has no submission (an empty cell, which the LMS leaves as it is), and it is listed."""
    r = make_roster(tmp_path)
    subs = tmp_path / "subs"
    for name in ("lovelaceada_1001_7_a4.ipynb", "borelemile_1002_8_a4.ipynb", "godelkurt_1003_9_x.ipynb"):
        touch(subs, name)
    found, skipped = intake.walk(subs)
    rows = {f.name: grades_row(f.name, "refused: another assignment (a4; this batch grades a1)", 0, 0, "")
            for f in found}
    rows["godelkurt_1003_9_x.ipynb"] = grades_row("godelkurt_1003_9_x.ipynb")
    term = gradebook.build(r, found, skipped, rows, QUESTIONS, {"a1": Policy()})
    entries = {e.student.id: e for e in term.entries["a1"]}
    assert [entries[s].submission for s in ("s001", "s002")] == ["", ""] and entries["s003"].final == 3
    assert [name for name, _ in term.unmatched] == ["borelemile_1002_8_a4.ipynb", "lovelaceada_1001_7_a4.ipynb"]
    assert "of s001, counted as no submission: refused: another assignment" in term.unmatched[1][1]
    canvas.write(tmp_path / "canvas.csv", term.entries["a1"], "Assignment 1", canvas_assignment="4242")
    moodle.write(tmp_path / "moodle.csv", term.entries["a1"], "Assignment 1")
    assert [row[-1] for row in read(tmp_path / "canvas.csv")[2:]] == ["", "", "3", ""]
    assert [row[4] for row in read(tmp_path / "moodle.csv")[1:]] == ["", "", "3", ""]


def test_names_of_every_script_match_only_their_own_student_and_each_match_by_name_is_listed(tmp_path):
    """Names fold keeping the letters of every script: two Cyrillic or Greek names differ, a name of
    no letter matches no one, and a notebook matched by name alone is listed for the instructor."""
    assert roster.folded("Иван Петров") == "иванпетров" and roster.folded("Νίκος") == "νικοσ"
    assert roster.folded("Émile  BOREL-") == "emileborel" and roster.folded("王 小明") == "王小明"
    r = make_roster(tmp_path, "id,name\ns010,Иван Петров\ns011,Nikos Papadopoulos\ns012,王小明\n")
    assert r.find("name", "Νίκος Παπαδόπουλος") == [] and r.find("name", "?!") == []
    assert [s.id for s in r.find("name", "иван петров")] == ["s010"]
    subs = tmp_path / "subs"
    touch(subs, "Иван Петров_60_assignsubmission_file_/a1.ipynb")
    touch(subs, "Νίκος Παπαδόπουλος_61_assignsubmission_file_/a1.ipynb", DUE)
    touch(subs, "s012/a1.ipynb")
    found, skipped = intake.walk(subs)
    rows = {f.name: grades_row(f.name) for f in found}
    term = gradebook.build(r, found, skipped, rows, QUESTIONS, {"a1": Policy()})
    entries = {e.student.id: e for e in term.entries["a1"]}
    assert entries["s010"].submission.startswith("Иван Петров_60") and not entries["s011"].submission
    assert entries["s012"].submission == "s012/a1.ipynb"
    assert [name for name, _ in term.unmatched] == ["Νίκος Παπαδόπουλος_61_assignsubmission_file_/a1.ipynb"]
    assert term.by_name == [("Иван Петров_60_assignsubmission_file_/a1.ipynb",
                             "matched by name alone: Moodle participant 60 (Иван Петров) is s010 (Иван Петров, "
                             "line 2); check that it is theirs")]


def test_lateness_costs_what_the_instructor_says_and_extensions_hold(tmp_path):
    policy = Policy(DUE, penalty=0.25, limit=3)
    _, term = small_term(tmp_path, policy)
    s002 = term.entries["a1"][1]
    assert s002.late_days == 2 and s002.penalty == 1.0 and s002.final == 1.0    # 30 h late: two started days
    assert policy.deduction(4, 4) == 4.0                                       # past the limit: nothing
    extended = roster.Student("s9", extension="2")
    assert policy.late_days(extended, DUE + timedelta(hours=30)) == 0
    assert policy.late_days(roster.Student("s9", extension="2025-03-01T12:00"), DUE - timedelta(hours=1)) == 1
    with pytest.raises(Refused, match="roster, line 7, field extension"):
        policy.due_for(roster.Student("s9", extension="next week", line=7))
    assert when("2025-03-01") == datetime(2025, 3, 1, 23, 59, 59, tzinfo=timezone.utc)


def test_an_extension_without_a_zone_is_read_in_the_due_dates_zone():
    new_york = timezone(timedelta(hours=-5))
    policy = Policy(when("2025-03-07T23:59-05:00"), penalty=0.5)
    student = roster.Student("s9", extension="2025-03-10T23:59")
    assert policy.due_for(student) == datetime(2025, 3, 10, 23, 59, tzinfo=new_york)
    assert policy.late_days(student, datetime(2025, 3, 10, 20, 0, tzinfo=new_york)) == 0
    assert policy.late_days(student, datetime(2025, 3, 11, 0, 30, tzinfo=new_york)) == 1
    assert Policy(DUE).due_for(student) == datetime(2025, 3, 10, 23, 59, tzinfo=timezone.utc)   # UTC's


def test_canvas_says_late_where_its_files_carry_no_submission_time(tmp_path):
    """Canvas writes its zip when the instructor downloads it, so a file's time there is the download's:
    Canvas's LATE decides (one started day, the least it proves); other files are late by their time."""
    r = make_roster(tmp_path, "id,name,canvas_id,moodle_id,extension\ns001,Ada Lovelace,1001,51,\n"
                    "s002,Émile Borel,1002,52,\ns003,Kurt Gödel,1003,53,\ns004,Emmy Noether,1004,54,2\n")
    subs = tmp_path / "subs"
    names = {"s001": touch(subs, "lovelaceada_1001_7_a1.ipynb", DUE + timedelta(days=9)),       # on time
             "s002": touch(subs, "borelemile_LATE_1002_8_a1.ipynb", DUE - timedelta(days=9)),  # late
             "s003": touch(subs, "Kurt Gödel_53_assignsubmission_file_/a1.ipynb", DUE + timedelta(hours=50)),
             "s004": touch(subs, "noetheremmy_LATE_1004_9_a1.ipynb", DUE)}                     # extension
    found, skipped = intake.walk(subs)
    rows = {f.name: grades_row(f.name, q1=2, q2=2) for f in found}
    term = gradebook.build(r, found, skipped, rows, QUESTIONS, {"a1": Policy(DUE, penalty=0.1)})
    entries = {e.student.id: e for e in term.entries["a1"]}
    assert {sid: (e.late_days, e.lms_late, e.penalty) for sid, e in entries.items()} == {
        "s001": (0, False, 0.0), "s002": (1, True, 0.4), "s003": (3, False, 1.2), "s004": (1, True, 0.4)}
    assert entries["s001"].submitted is None and entries["s003"].submitted == DUE + timedelta(hours=50)
    assert term.doubtful == [(names["s004"].name, "Canvas marked it late and the roster gives s004 an extension "
                              "(line 5), but no time says whether it came within it: counted 1 day late")]
    out = tmp_path / "a1.students.csv"
    gradebook.write_plain(out, term.entries["a1"], QUESTIONS["a1"], r)
    rows = read(out)
    at = rows[0].index("submitted")
    assert rows[0][at:at + 3] == ["submitted", "canvas_late", "late_days"]
    assert [row[at:at + 3] for row in rows[1:]] == [["", "", "0"], ["", "yes", "1"],
                                                    ["2025-03-04T01:59:00+00:00", "", "3"], ["", "yes", "1"]]


# ---------------------------------------------------------------- files out

def test_the_plain_csv_is_keyed_by_student_id_and_carries_everything(tmp_path):
    r, term = small_term(tmp_path, written={("s001", "a1"): {"q2w": (1.5, "good")}})
    out = tmp_path / "a1.students.csv"
    gradebook.write_plain(out, term.entries["a1"], QUESTIONS["a1"], r)
    rows = read(out)
    assert rows[0] == ["id", "name", "email", "tutor", "submission", "status", "submitted", "canvas_late",
                       "late_days", "auto", "q1", "q2", "written", "penalty", "final", "out_of"]
    assert rows[1][:6] == ["s001", "Ada Lovelace", "ada@uni.edu", "Kim", "s001/a1-again.ipynb", "ok"]
    assert rows[1][9:] == ["5", "2", "3", "1.5", "0", "6.5", "7"]
    assert rows[3][5] == "no submission" and rows[3][14] == "0"


def test_the_canvas_file_has_canvas_gradebook_columns(tmp_path):
    _, term = small_term(tmp_path)
    out = tmp_path / "canvas.csv"
    canvas.write(out, term.entries["a1"], "Assignment 1", canvas_assignment="4242")
    rows = read(out)
    # Canvas's gradebook export and import: these five columns, then "Assignment name (id)".
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Assignment 1 (4242)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "5"]
    assert rows[2] == ["Lovelace, Ada", "1001", "s001", "", "A", "5"]
    assert rows[4][-1] == ""   # no submission: left as Canvas has it
    canvas.write(out, term.entries["a1"], "Assignment 1")
    assert read(out)[0][-1] == "Assignment 1"   # a new column Canvas creates


def test_the_moodle_file_maps_by_id_number_or_email(tmp_path):
    _, term = small_term(tmp_path)
    out = tmp_path / "moodle.csv"
    moodle.write(out, term.entries["a1"], "Assignment 1")
    rows = read(out)
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", "Assignment: Assignment 1 (Real)",
                       "Feedback: Assignment 1"]
    assert rows[1][:5] == ["Ada", "Lovelace", "s001", "ada@uni.edu", "5"]
    assert rows[3][4] == "" and rows[3][5] == "no submission"


def test_names_that_a_spreadsheet_would_read_as_formulas_are_written_as_text(tmp_path):
    """A student who can edit their LMS name writes it into the roster: every file the term writes shows
    it as text."""
    r = make_roster(tmp_path, "id,name,email,canvas_id\ns001,=HYPERLINK(\"http://x\") Ada,a@u.edu,1001\n"
                    "s002,+1 -Borel,b@u.edu,1002\n")
    term = gradebook.build(r, [], [], {}, QUESTIONS, {"a1": Policy()})
    canvas.write(tmp_path / "canvas.csv", term.entries["a1"], "A1")
    moodle.write(tmp_path / "moodle.csv", term.entries["a1"], "A1")
    gradebook.write_plain(tmp_path / "plain.csv", term.entries["a1"], QUESTIONS["a1"], r)
    cells = [row[0] for row in read(tmp_path / "canvas.csv")[2:]] + [
        c for row in read(tmp_path / "moodle.csv")[1:] for c in row[:2]] + [
        row[1] for row in read(tmp_path / "plain.csv")[1:]]
    assert cells == ['Ada, =HYPERLINK("http://x")', "%2DBorel, +1", '%3DHYPERLINK("http://x")', "Ada",
                     "%2B1", "%2DBorel", '%3DHYPERLINK("http://x") Ada', "%2B1 -Borel"]


def test_a_malformed_grades_file_is_refused_with_its_line_and_field(tmp_path):
    path = write(tmp_path / "grades.csv", "submission,assignment,status,total,max_total,q1\nx.ipynb,a1,ok,2,5,two\n")
    with pytest.raises(Refused, match=r"^grades.csv, line 2, field q1: 'two' is not a number$"):
        gradebook.read_grades([path])
    write(path, "submission,assignment,status,total\n")
    with pytest.raises(Refused, match="grades.csv, line 1, field max_total"):
        gradebook.read_grades([path])


# ---------------------------------------------------------------- a graded folder, end to end (no sandbox: trusted notebooks)

from grading import A1, FULL, grade, merge, solved, with_cell  # noqa: E402
import nbformat  # noqa: E402
from grader import batch, build  # noqa: E402
from grader import bundle as bundles_io  # noqa: E402


def without_my_jsd():
    nb = solved(A1)
    nb.cells = [c for c in nb.cells if "my_jsd" not in c.source]
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("term")
    subs = tmp / "subs"
    (subs / "s001").mkdir(parents=True)
    nbformat.write(solved(A1), subs / "s001" / "a1.IPYNB")
    nbformat.write(with_cell(solved(A1), "def broken(:\n    pass", at=3), subs / "borelemile_LATE_1002_9_a1.ipynb")
    nbformat.write(without_my_jsd(), subs / "s003.ipynb")
    (subs / "notes.txt").write_text("not a notebook")
    roster_path = write(tmp / "roster.csv", ROSTER)
    done = grade(subs, tmp / "out" / "grades.csv", "--no-sandbox", "--jobs", "2", "--roster", str(roster_path))
    return tmp, subs, done


def test_any_file_name_sorts_with_one_key_for_every_csv(tmp_path):
    """Superscript digits are digits to str.isdigit but not to int(): a name holding one sorts as it reads
    without its accents and superscripts (v1²1 as v121)."""
    assert batch.natural is gradebook.natural
    rows = [{"submission": n} for n in ("a4_v1²1.ipynb", "a4_v10.ipynb", "a4_v2.ipynb", "a4_v1³.ipynb")]
    batch.write_sorted(tmp_path / "grades.csv", ["submission"], rows)
    assert [row[0] for row in read(tmp_path / "grades.csv")] == [
        "submission", "a4_v2.ipynb", "a4_v10.ipynb", "a4_v1³.ipynb", "a4_v1²1.ipynb"]


def test_statuses_say_what_the_student_can_fix(graded):
    tmp, _, done = graded
    rows = {r["submission"]: r for r in csv.DictReader(open(tmp / "out" / "grades.csv", newline=""))}
    assert rows["s001/a1.IPYNB"]["status"] == "ok" and rows["s001/a1.IPYNB"]["total"] == str(FULL[A1])
    # the inserted cell is the notebook's fourth, counting markdown cells as Jupyter shows them
    assert rows["borelemile_LATE_1002_9_a1.ipynb"]["status"] == "syntax error in cell 4"
    assert rows["s003.ipynb"]["status"] == "function `my_jsd` is not defined"
    assert list(rows) == sorted(rows, key=batch.natural)        # rows in name order, not finishing order
    feedback = (tmp / "out" / "feedback" / "borelemile_LATE_1002_9_a1.md").read_text()
    assert "cell 4 raised ` SyntaxError" in feedback


def test_nothing_is_lost_and_the_run_says_what_needs_the_instructor(graded):
    tmp, _, done = graded
    assert done.returncode == 1, done.stderr
    assert "notes.txt: not graded: not a notebook (.txt)" in done.stdout
    assert "summary: 3 graded now, 0 already graded, 1 files not notebooks" in done.stdout
    students = read(tmp / "out" / "term" / f"{A1}.students.csv")
    assert [r[0] for r in students[1:]] == ["s001", "s002", "s003", "s004"]
    assert students[4][5] == "no submission"
    # Ada in full, Émile's other cells still ran, Kurt without q4's 3 points, Emmy nothing to import
    assert [r[-1] for r in read(tmp / "out" / "term" / f"{A1}.canvas.csv")[2:]] == ["15", "15", "12", ""]
    assert read(tmp / "out" / "term" / "unmatched.csv") == [["file", "reason"],
                                                           ["notes.txt", "not a notebook (.txt)"]]


def test_a_broken_master_skipped_by_the_run_needs_the_instructor():
    from grader.model import AuthoringError
    run = batch.Batch("subs", "grades.csv")
    run.broken = [AuthoringError("a5.ipynb", "the tests give it no points", 3)]
    assert run.needs_instructor() == ["a broken master, skipped: a5.ipynb, cell 3: the tests give it no points"]


def test_an_empty_folder_is_one_sentence_and_exit_status_2(tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "sub" / "a.pdf").write_text("x")
    done = grade(tmp_path / "empty", tmp_path / "grades.csv", "--no-sandbox")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().endswith("holds no notebook (.ipynb file), only 1 other file.")


def test_a_resume_checks_the_bundles_hash_of_the_master_and_the_grader(tmp_path):
    bundle = build.bundles(sandboxed=False)[A1]
    assert batch.version(bundle) == bundle.source[:16]
    changed = tmp_path / f"{A1}.ipynb"
    nb = nbformat.read(build.MASTERS / f"{A1}.ipynb", as_version=4)
    test = next(c for c in nb.cells if "tests" in c.metadata.get("tags", []))
    test.source = test.source.replace('"points": 1', '"points": 2', 1)
    nbformat.write(nb, changed)
    assert batch.version(dataclasses.replace(bundle, source=bundles_io.source_hash(changed))) != batch.version(bundle)
    assert batch.version(None) == bundles_io.code_hash()[:16]   # a notebook of no assignment: the grader's code


# ---------------------------------------------------------------- class statistics

def test_statistics_per_question_mean_spread_and_most_failed_checks(tmp_path):
    from grader import stats
    from grader.model import Test
    cases = [Test("q1", "close", "f", 1, [i], {}) for i in range(3)] + [Test("q2", "close", "g", 2, ["<script>"], {})]
    rows = [{"status": "ok", "total": "5", "q1": "3", "q2": "2", "failed": ""},
            {"status": "ok", "total": "1", "q1": "1", "q2": "0", "failed": "2 3 4"},
            {"status": "function `f` is not defined", "total": "2", "q1": "0", "q2": "2", "failed": "1 2 3"},
            {"status": "not a readable notebook (x)", "total": "0", "q1": "", "q2": "", "failed": ""}]
    per, apart = stats.summary(rows, ["q1", "q2"], cases)
    assert apart == 1
    assert per["q1"]["n"] == 3 and per["q1"]["mean"] == pytest.approx(4 / 3)
    assert per["q1"]["sd"] == pytest.approx(((3 - 4 / 3) ** 2 + (1 - 4 / 3) ** 2 + (4 / 3) ** 2) ** 0.5 / 3 ** 0.5)
    assert [(k, n) for k, n, _ in per["q1"]["failed"]] == [(2, 2), (3, 2), (1, 1)]
    assert per["q2"]["full"] == 2 and per["q2"]["failed"][0][:2] == (4, 1)
    page = tmp_path / "stats.html"
    stats.write(page, "A & B", rows, ["q1", "q2"], cases)
    text = page.read_text()
    assert "data:image/png;base64," in text and "<script>" not in text and "&lt;script&gt;" in text
    assert "A &amp; B: class statistics" in text


# ---------------------------------------------------------------- written answers

A4 = "a4_deep_learning_losses"


def test_written_answers_are_reviewed_without_names_and_graded_through_a_csv(tmp_path):
    from grader import manual
    a4 = build.bundles(sandboxed=False)[A4]
    assert {w: (spec["question"], spec["points"]) for w, spec in a4.written.items()} == {"q4w": ("q4", 2)}
    student = nbformat.read(build.OUT / "student" / A4 / f"{A4}.ipynb", as_version=4)
    cell = next(c for c in student.cells if "written" in c.metadata.get("tags", []))
    heading = "**Written answer (2 points, graded by your instructor).**"
    assert cell.source.startswith(f"{heading} {a4.written['q4w']['prompt']}")
    assert cell.source.endswith("*Write your answer here.*")
    paths = {}
    for sid, text in [("s001", "Disjoint supports: V is constant."), ("s002", "<img src=x onerror=alert(1)>"),
                      ("s003", None)]:   # s001 keeps the heading, s002 deletes it
        cell.source = (heading + " ") * (sid != "s002") + a4.written["q4w"]["prompt"] + "\n\n" + (
            text or "*Write your answer here.*")
        paths[sid] = tmp_path / f"{sid}.ipynb"
        nbformat.write(student, paths[sid])
    answers = manual.collect(paths, a4.written)
    assert answers == {"q4w": {"s001": "Disjoint supports: V is constant.", "s002": "<img src=x onerror=alert(1)>",
                               "s003": ""}}
    folder = tmp_path / "written"
    page, sheet = manual.review(folder, a4.title, answers, {"q4w": 2}, {"q4w": a4.written["q4w"]["prompt"]})
    text = page.read_text()
    assert "s001" not in text and "s002" not in text and "<img" not in text and "&lt;img src=x" in text
    assert "(no answer)" in text and "up to 2 points" in text and "In words." in text
    labels = [row[0] for row in read(sheet)[1:]]
    assert labels == sorted(labels) and len(set(labels)) == 3
    key = (folder / "written.key").read_text().encode()
    ada = manual.label(key, "q4w", "s001")
    write(sheet, f"label,points,comment\n{ada},1.5,close\n{manual.label(key, 'q4w', 's002')},,\n")
    assert manual.scores(folder, ["s001", "s002"], {"q4w": 2}) == {("s001", "q4w"): (1.5, "close")}
    manual.review(folder, a4.title, answers, {"q4w": 2})   # a later run keeps the points, adds s003's row
    assert read(sheet)[1] == [ada, "1.5", "close"] and len(read(sheet)) == 4
    for bad, said in [(f"{ada},3,\n", "q4w.scores.csv, line 2, field points: 3 is outside 0 to 2, the points of q4w"),
                      ("Aunknown,1,\n", "q4w.scores.csv, line 2, field label: 'Aunknown' is no student's answer to q4w"),
                      (f"{ada},lots,\n", "q4w.scores.csv, line 2, field points: 'lots' is not a number")]:
        write(sheet, "label,points,comment\n" + bad)
        with pytest.raises(Refused) as error:
            manual.scores(folder, ["s001", "s002"], {"q4w": 2})
        assert str(error.value) == said


def test_a_written_answer_in_markdown_cells_below_the_prompt_is_collected(tmp_path):
    """A student who left the placeholder and wrote in a new markdown cell below the prompt got "(no
    answer)": the answer is the prompt cell's text after the prompt and every markdown cell after it, up to
    the next code cell (the self-check's) or question."""
    from grader import manual
    a4 = build.bundles(sandboxed=False)[A4]
    student = nbformat.read(build.OUT / "student" / A4 / f"{A4}.ipynb", as_version=4)
    at = next(i for i, c in enumerate(student.cells) if "written" in c.metadata.get("tags", []))
    assert student.cells[at + 1].cell_type == "code"   # the self-check of the question follows the prompt
    below = nbformat.v4.new_markdown_cell
    nb = nbformat.reads(nbformat.writes(student), as_version=4)
    nb.cells[at + 1:at + 1] = [below("Disjoint supports:"), below(""), below("the value is constant.")]
    nb.cells.append(below("My notes, after the last check."))
    nbformat.write(nb, tmp_path / "below.ipynb")
    nb.cells[at].source = nb.cells[at].source.replace("*Write your answer here.*", "In short:")
    nbformat.write(nb, tmp_path / "both.ipynb")
    answers = manual.collect({"s001": tmp_path / "below.ipynb", "s002": tmp_path / "both.ipynb"}, a4.written)
    assert answers == {"q4w": {"s001": "Disjoint supports:\n\nthe value is constant.",
                               "s002": "In short:\n\nDisjoint supports:\n\nthe value is constant."}}


def test_written_answers_are_read_only_from_notebooks_the_batch_would_read(tmp_path):
    """The term reads written answers as the batch reads a notebook (its size, cell and content limits):
    one it refuses gives no answer, and costs no more than reading its first NOTEBOOK_BYTES."""
    import json
    from grader import manual, submissions
    a4 = build.bundles(sandboxed=False)[A4]
    nb = a4_submission("my answer")
    paths = {"s001": tmp_path / "ok.ipynb", "s002": tmp_path / "large.ipynb", "s003": tmp_path / "twice.ipynb"}
    nbformat.write(nb, paths["s001"])
    nb.cells.append(nbformat.v4.new_raw_cell("x" * (submissions.NOTEBOOK_BYTES + 1)))
    nbformat.write(nb, paths["s002"])
    paths["s003"].write_text(paths["s001"].read_text().replace('"nbformat": 4,', '"nbformat": 4, "nbformat": 4,'))
    assert json.loads(paths["s003"].read_text())["nbformat"] == 4   # nbformat.read takes it; the batch refuses it
    assert manual.collect(paths, a4.written) == {"q4w": {"s001": "my answer"}}


def test_a_written_answers_points_reach_the_student_from_the_masters_metadata(tmp_path):
    from grader import master, release
    a4 = build.bundles(sandboxed=False)[A4]
    nb = nbformat.read(build.MASTERS / f"{A4}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "written" in c.metadata.get("tags", []))
    for points, heading in [(3, "**Written answer (3 points, graded by your instructor).**"),
                            (1, "**Written answer (1 point, graded by your instructor).**"),
                            (0, "**Written answer (no points: your instructor comments on it).**")]:
        cell.metadata["points"] = points
        nbformat.write(nb, tmp_path / f"{A4}.ipynb")
        assignment = master.read(tmp_path / f"{A4}.ipynb")
        copy = release.student_copy(assignment, a4.expected)   # the tests are the master's: the same answers
        shown = [c.source for c in copy.cells if "written" in c.metadata.get("tags", [])]
        assert len(shown) == 1 and shown[0].startswith(f"{heading} **In words.**"), shown
        site = release.questions_markdown(assignment)
        assert f"{heading} **In words.** Why does a generator" in site
        assert site.index("**Question 4 (") < site.index(heading)


# ---------------------------------------------------------------- a term end to end: Canvas, Moodle, folders,
# deadlines, written answers, in one run and in two parts merged (no sandbox: trusted notebooks)

TERM_OPTIONS = ["--due", DUE.isoformat(), "--penalty", "0.1", "--late-limit", "5"]
KEY = "0" * 32    # the written answers' key, given to both outputs so that their labels agree
SHEET = {"s001": ("1.5", "close, but say why the JSD is flat"), "s003": ("2", "")}


def a4_submission(answer, extra=None):
    nb = solved(A4)
    cell = next(c for c in nb.cells if "written" in c.metadata.get("tags", []))
    cell.source = "**Written answer (2 points, graded by your instructor).** " + cell.source.split("<!--")[0] + answer
    return with_cell(nb, extra) if extra else nb


def save(nb, path, at):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    os.utime(path, (at.timestamp(), at.timestamp()))


def seed_written(out):
    """The key and a score sheet the instructor filled before the run (as after an earlier run)."""
    from grader import manual
    folder = out / "term" / "written" / A4
    write(folder / "written.key", KEY)
    with open(folder / "q4w.scores.csv", "w", newline="") as f:
        csv.writer(f).writerows([["label", "points", "comment"]] + [
            [manual.label(KEY.encode(), "q4w", sid), points, comment] for sid, (points, comment) in SHEET.items()])


def tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def term4(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("term4")
    subs, roster_path = tmp / "subs", write(tmp / "roster.csv", ROSTER)
    save(a4_submission("Disjoint supports: the value is constant, so no gradient."),
         subs / "lovelaceada_1001_11_a4.ipynb", DUE + timedelta(days=4))             # Canvas: the zip's time
    save(a4_submission("No idea.", "def gan_value(p, q):\n    return 0.0"),
         subs / "borelemile_LATE_1002_12_a4.ipynb", DUE - timedelta(days=4))         # Canvas says late
    save(a4_submission("It is flat."), subs / "Kurt Gödel_53_assignsubmission_file_" / "a4.ipynb",
         DUE + timedelta(hours=30))                                                   # Moodle: 2 started days
    touch(subs, "s004/a4.ipynb", DUE - timedelta(days=2))                              # earlier, unreadable
    save(a4_submission(""), subs / "s004" / "a4-final.ipynb", DUE - timedelta(hours=1))
    write(subs / "lovelaceada_1x_9_a4.ipynb", "{}")                                    # a malformed Canvas name
    write(subs / "notes.pdf", "not a notebook")
    one = tmp / "one" / "grades.csv"
    seed_written(one.parent)
    single = grade(subs, one, "--no-sandbox", "--jobs", "2", "--roster", str(roster_path), *TERM_OPTIONS)
    parts = []
    for k in (1, 2):
        part = tmp / "parts" / str(k) / "grades.csv"
        done = grade(subs, part, "--no-sandbox", "--jobs", "2", "--shard", f"{k}/2", "--roster", str(roster_path),
                     *TERM_OPTIONS)
        assert done.returncode in (0, 1), done.stderr
        assert "the term's files (term/ and the grades in the feedback) come from the merge" in done.stdout
        parts.append(part)
    merged = tmp / "merged" / "grades.csv"
    seed_written(merged.parent)
    merging = merge(merged, *parts, "--submissions", str(subs), "--roster", str(roster_path), *TERM_OPTIONS)
    return tmp, subs, roster_path, single, parts, merging


def test_shards_merge_into_exactly_what_one_run_writes_term_included(term4):
    tmp, _, _, single, parts, merging = term4
    assert single.returncode == 1 and merging.returncode == 1, single.stderr + merging.stderr
    one, merged = tree(tmp / "one"), tree(tmp / "merged")
    assert sorted(merged) == sorted(one)
    assert [name for name in one if merged[name] != one[name]] == []
    for name in ["grades.csv", f"stats.{A4}.html", "term/unmatched.csv", f"term/{A4}.students.csv",
                 f"term/{A4}.canvas.csv", f"term/{A4}.moodle.csv", f"term/written/{A4}/q4w.html",
                 "feedback/lovelaceada_1001_11_a4.md"]:
        assert name in one
    assert all(0 < len(read(p)) - 1 < 6 for p in parts)             # each part graded some, not all
    assert not any((p.parent / "term").exists() for p in parts)     # the term is the merge's
    # the merge says what the single run says needs the instructor
    needs = lambda out: sorted(out.split("needs the instructor")[1].splitlines()[1:])  # noqa: E731
    # 4 answers: 2 scored, Emmy's left as the placeholder (no answer, 0 points), Émile's waits
    assert f"{A4}: 1 written answer not scored yet: review them in term/written/{A4}/" in single.stdout
    assert needs(merging.stdout) == needs(single.stdout)


def test_without_a_class_list_the_run_says_where_the_written_answers_went(tmp_path):
    save(a4_submission("Flat."), tmp_path / "subs" / "ada.ipynb", DUE)
    done = grade(tmp_path / "subs", tmp_path / "grades.csv", "--no-sandbox")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (f"note: the written answers of {A4} (q4w) are collected for review only in a run with a class list"
            in done.stdout)


def test_a_term_counts_deadlines_and_written_points_and_says_so_in_the_feedback(term4):
    tmp, _, _, single, _, _ = term4
    out = tmp / "one"
    rows = {r["submission"]: r for r in csv.DictReader(open(out / "grades.csv", newline=""))}
    assert len(rows) == 6                                           # every notebook has its row
    a4 = build.bundles(sandboxed=False)[A4]
    students = {r["id"]: r for r in csv.DictReader(open(out / "term" / f"{A4}.students.csv", newline=""))}
    ada, emile, kurt, emmy = (students[s] for s in ("s001", "s002", "s003", "s004"))
    assert (ada["auto"], ada["written"], ada["late_days"], ada["penalty"], ada["final"]) == (
        str(a4.maximum), "1.5", "0", "0", str(a4.maximum + 1.5))
    auto = float(rows["borelemile_LATE_1002_12_a4.ipynb"]["total"])
    assert 0 < auto < a4.maximum                                    # gan_value's points lost
    assert (emile["canvas_late"], emile["late_days"], emile["written"]) == ("yes", "1", "")
    assert float(emile["penalty"]) == pytest.approx(0.1 * auto) and float(emile["final"]) == pytest.approx(0.9 * auto)
    assert (kurt["late_days"], kurt["written"]) == ("2", "2")
    assert float(kurt["final"]) == pytest.approx(0.8 * (a4.maximum + 2))
    assert emmy["submission"] == "s004/a4-final.ipynb" and emmy["out_of"] == str(a4.maximum + 2)
    assert emmy["written"] == "0"                                   # no answer: 0, without waiting for a score
    assert "- Written answer q4w (up to 2 points): 0, no answer was given\n" in (
        out / "feedback" / "s004%2Fa4-final.md").read_text()
    from grader import manual                                       # whose answer a review label is
    assert [students[s]["q4w label"] for s in ("s001", "s003")] == [manual.label(KEY.encode(), "q4w", s)
                                                                    for s in ("s001", "s003")]
    assert manual.label(KEY.encode(), "q4w", "s003") in (out / "term" / "written" / A4 / "q4w.html").read_text()
    feedback = (out / "feedback" / "lovelaceada_1001_11_a4.md").read_text()
    assert feedback.endswith(
        f"## Your grade\n\n- Tests: {a4.maximum} / {a4.maximum}\n"
        "- Written answer q4w (up to 2 points): 1.5. Your instructor's comment: close, but say why the JSD is flat\n"
        f"- **Final: {a4.maximum + 1.5:g} / {a4.maximum + 2}**\n")
    assert feedback.count("## Your grade") == 1 and feedback.startswith("# Feedback: ")
    late = (out / "feedback" / "borelemile_LATE_1002_12_a4.md").read_text()
    assert "- Written answer q4w (up to 2 points): not graded yet\n" in late
    # while Émile's answer waits, his final is provisional: said so, and left out of the LMS files
    assert f"- **Provisional final: {0.9 * auto:g} / {a4.maximum + 2}** (a written answer is not graded yet)\n" in late
    canvas_cells = {row[2]: row[-1] for row in read(out / "term" / f"{A4}.canvas.csv")[2:]}
    moodle_rows = {row[2]: row[-2:] for row in read(out / "term" / f"{A4}.moodle.csv")[1:]}
    assert canvas_cells["s002"] == "" and moodle_rows["s002"][0] == ""
    assert "written answers not graded yet" in moodle_rows["s002"][1]
    assert canvas_cells["s001"] == moodle_rows["s001"][0] == f"{a4.maximum + 1.5:g}"
    assert canvas_cells["s004"] == moodle_rows["s004"][0] == emmy["final"]    # her empty answer does not wait
    assert f"- Late: Canvas marked the submission late (counted as 1 day): -{0.1 * auto:g}\n" in late
    moodle = (out / "feedback" / "Kurt Gödel_53_assignsubmission_file_%2Fa4.md").read_text()
    assert "- Late: submitted 2025-03-03 05:59 UTC, 2 started days after the due date: -" in moodle
    earlier = (out / "feedback" / "s004%2Fa4.md").read_text()
    assert earlier.endswith(
        "## Your grade\n\n- Not counted: your submission ` s004/a4-final.ipynb ` is the one graded.\n")
    assert "lovelaceada_1x_9_a4.ipynb: matched to no student: its name starts like a Canvas download's " \
           "(<name>_[LATE_]<user id>_<file id>_<file>), but its field user id, '1x', is not a number" in single.stdout
    assert "notes.pdf: not graded: not a notebook (.pdf)" in single.stdout


def copy_of(folder, tmp_path):
    import shutil
    return Path(shutil.copytree(folder, tmp_path / folder.name))


@pytest.mark.parametrize("sheet, said", [
    ("{s001},3,\n", "q4w.scores.csv, line 2, field points: 3 is outside 0 to 2, the points of q4w"),
    ("Aunknown,1,\n", "q4w.scores.csv, line 2, field label: 'Aunknown' is no student's answer to q4w"),
])
def test_a_bad_score_sheet_is_one_sentence_and_loses_nothing(term4, tmp_path, sheet, said):
    from grader import manual
    tmp, subs, roster_path, _, _, _ = term4
    out = copy_of(tmp / "one", tmp_path)
    before = tree(out)
    write(out / "term" / "written" / A4 / "q4w.scores.csv",
          "label,points,comment\n" + sheet.format(s001=manual.label(KEY.encode(), "q4w", "s001")))
    done = grade(subs, out / "grades.csv", "--no-sandbox", "--roster", str(roster_path), *TERM_OPTIONS)
    assert done.returncode == 2 and done.stderr == f"autograde: {said}.\n"
    after = tree(out)
    changed = {name for name in after if after[name] != before.get(name)}
    assert sorted(after) == sorted(before) and changed == {f"term/written/{A4}/q4w.scores.csv"}


def test_a_bad_roster_is_refused_before_anything_is_graded(term4, tmp_path):
    tmp, subs, _, _, _, _ = term4
    out = copy_of(tmp / "one", tmp_path)
    before = tree(out)
    bad = write(tmp_path / "roster.csv", ROSTER + "s002,Someone Else,else@uni.edu,,,,\n")
    done = grade(subs, out / "grades.csv", "--no-sandbox", "--regrade", "--roster", str(bad), *TERM_OPTIONS)
    assert done.returncode == 2 and "graded now" not in done.stdout
    assert done.stderr == "autograde: roster.csv, line 6, field id: 's002' is also the id of line 3.\n"
    assert tree(out) == before                                      # not even --regrade touched a grade


def test_a_missing_folder_is_one_sentence_and_exit_status_2(tmp_path):
    done = grade(tmp_path / "nowhere", tmp_path / "grades.csv", "--no-sandbox")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == (f"autograde: the submissions folder {tmp_path / 'nowhere'} does not exist or is not a "
                           "folder.\n")


def part(folder, shard, rows, header="submission,assignment,status,total,max_total,q1,failed,sha256,version\n"):
    """A part's grades CSV as a run with SHARD=k/n leaves it: its rows and the record of which part it is."""
    path = write(folder / "grades.csv", header + "".join(f"{name},a1,ok,1,1,1,,x,y\n" for name in rows))
    gradebook.mark_part(path, shard)
    return path


def of_part(k, n, count=1, stem="s"):
    """`count` submission names that SHARD=k/n grades."""
    names = (f"{stem}{i}.ipynb" for i in range(1000))
    return [name for name in names if batch.in_shard(name, (k, n))][:count]


def test_parts_that_do_not_fit_together_are_refused_with_file_line_and_field(tmp_path):
    a, b = of_part(1, 2)[0], of_part(2, 2)[0]
    one = part(tmp_path / "1", (1, 2), [a])
    two = part(tmp_path / "2", (2, 2), [b, a])
    with pytest.raises(Refused) as error:
        gradebook.read_parts([str(one), str(two)], tmp_path / "grades.csv")
    assert str(error.value) == f"{two}, line 3, field submission: {a!r} is also in part 1 of 2 ({one})"
    part(tmp_path / "2", (2, 2), [b, of_part(1, 2, 2)[1]])
    with pytest.raises(Refused, match=r"/2/grades.csv, line 3, field submission: 's\d+.ipynb' is not of part 2 of "
                       r"2: the part was graded with another SHARD; grade it again$"):
        gradebook.read_parts([str(one), str(two)], tmp_path / "grades.csv")
    part(tmp_path / "2", (2, 2), [b], "submission,assignment,status,total,max_total,q2,failed,sha256,version\n")
    with pytest.raises(Refused, match=r"/2/grades.csv, line 1: its columns are not those of .*/1/grades.csv"):
        gradebook.read_parts([str(one), str(two)], tmp_path / "grades.csv")
    with pytest.raises(Refused, match=r"^.*nowhere.csv is not a part of a sharded run: nowhere.part.json beside it"):
        gradebook.read_parts([str(one), str(tmp_path / "3" / "nowhere.csv")], tmp_path / "grades.csv")


@pytest.mark.parametrize("given, said", [
    ([(1, 2)], "part 2 of 2 is missing (given: 1 of 2): the merge needs every part"),
    ([(1, 3), (3, 3)], "part 2 of 3 is missing (given: 1 of 3, 3 of 3): the merge needs every part"),
    ([(2, 4)], "parts 1, 3, 4 of 4 are missing (given: 2 of 4): the merge needs every part"),
])
def test_a_merge_needs_every_part_of_n(tmp_path, given, said):
    paths = [part(tmp_path / str(i), shard, of_part(*shard)) for i, shard in enumerate(given)]
    done = merge(tmp_path / "merged" / "grades.csv", *paths)
    assert done.returncode == 2 and done.stderr == f"autograde: {said}.\n"
    assert not (tmp_path / "merged").exists()


def test_a_part_given_twice_or_of_another_run_is_refused(tmp_path):
    one = part(tmp_path / "1", (1, 2), of_part(1, 2))
    again = part(tmp_path / "again", (1, 2), of_part(1, 2))
    with pytest.raises(Refused, match=rf"^{again} and {one} are both part 1 of 2: give each part once$"):
        gradebook.read_parts([one, again], tmp_path / "grades.csv")
    other = part(tmp_path / "3", (2, 3), of_part(2, 3))
    with pytest.raises(Refused, match=rf"^{one} is a part of 2 and {other} a part of 3: the parts of one run"):
        gradebook.read_parts([one, other], tmp_path / "grades.csv")
    # with the folder, a notebook whose part has no row for it (the part did not finish)
    two = part(tmp_path / "2", (2, 2), of_part(2, 2))
    late = of_part(2, 2, 2)[1]
    with pytest.raises(Refused, match=rf"^part 2 of 2 \({two}\) has no row for '{late}': that part did not finish"):
        gradebook.read_parts([one, two], tmp_path / "grades.csv", names=of_part(1, 2) + [late])


def test_a_merge_into_a_part_or_into_the_submissions_folder_is_one_plain_sentence(tmp_path):
    one = part(tmp_path / "1", (1, 2), of_part(1, 2))
    two = part(tmp_path / "2", (2, 2), of_part(2, 2))
    done = merge(one, one, two)
    assert done.returncode == 2 and "PosixPath" not in done.stderr
    assert done.stderr == f"autograde: the merged grades file {one} is also one of the parts: write the merge to " \
                          "another file.\n"
    done = merge(tmp_path / "1" / "merged.csv", one, two)
    assert done.returncode == 2 and done.stderr.startswith(f"autograde: the merged grades file {tmp_path}/1/merged.csv "
                                                           f"is in the folder of the part {one}")
    (tmp_path / "subs").mkdir()
    done = merge(tmp_path / "subs" / "out" / "grades.csv", one, two, "--submissions", tmp_path / "subs")
    assert done.returncode == 2 and done.stderr == (
        f"autograde: the grades file {tmp_path}/subs/out/grades.csv is inside the submissions folder "
        f"{tmp_path}/subs: the next run would read its feedback and statistics as submissions; write it outside "
        "that folder.\n")


def test_a_failed_merge_writes_nothing(term4, tmp_path):
    """A merge refused by the term (here a score sheet with a student twice) leaves no feedback, CSV or statistics."""
    from grader import manual
    tmp, subs, roster_path, _, parts, _ = term4
    out = tmp_path / "merged"
    seed_written(out)
    ada = manual.label(KEY.encode(), "q4w", "s001")
    sheet = write(out / "term" / "written" / A4 / "q4w.scores.csv", f"label,points,comment\n{ada},1,\n{ada},2,\n")
    before = tree(out)
    done = merge(out / "grades.csv", *parts, "--submissions", subs, "--roster", roster_path, *TERM_OPTIONS)
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"autograde: {sheet.name}, line 3, field label: '{ada}' is also on line 2: one row per answer.\n"
    assert tree(out) == before and sorted(p.name for p in out.iterdir()) == ["term"]


# ---------------------------------------------------------------- the term's options and input, refused plainly

PENALTY = "the share of the points taken per started day late (0.1 takes 10 % a day)"


@pytest.mark.parametrize("options, said", [
    (["--due", "2025-03-01", "--penalty", "-0.1"], f"PENALTY (--penalty) is '-0.1', not a number from 0 to 1: {PENALTY}"),
    (["--due", "2025-03-01", "--penalty", "10"], f"PENALTY (--penalty) is '10', not a number from 0 to 1: {PENALTY}"),
    (["--due", "2025-03-01", "--penalty", "ten"], f"PENALTY (--penalty) is 'ten', not a number from 0 to 1: {PENALTY}"),
    (["--due", "2025-03-01", "--late-limit", "-2"], "LATE_LIMIT (--late-limit) is '-2', not a number of 0 or more: "
                                                    "the days late after which a submission earns nothing"),
    (["--penalty", "0.1"], "PENALTY (--penalty) needs DUE (--due), the due date from which days late are counted"),
    (["--penalty", "0.1", "--late-limit", "3"],
     "PENALTY (--penalty) and LATE_LIMIT (--late-limit) need DUE (--due), the due date from which days late are "
     "counted"),
])
def test_a_penalty_out_of_range_or_without_a_due_date_is_refused(tmp_path, options, said):
    roster_path = write(tmp_path / "roster.csv", ROSTER)
    done = grade(tmp_path / "subs", tmp_path / "grades.csv", "--no-sandbox", "--roster", str(roster_path), *options)
    assert done.returncode == 2 and done.stderr == f"autograde: {said}.\n"


def test_deadlines_without_a_roster_are_refused_rather_than_ignored(tmp_path):
    done = grade(tmp_path / "subs", tmp_path / "grades.csv", "--no-sandbox", "--due", "2025-03-01", "--penalty", "0.1")
    assert done.returncode == 2 and done.stderr == (
        "autograde: DUE (--due), PENALTY (--penalty) need a class list: they apply to the per-student grades, which "
        "only a run with ROSTER (--roster) writes.\n")


def test_a_deadline_or_canvas_column_with_every_assignment_at_once_is_refused(tmp_path):
    """An outside attack: with ASSIGNMENT=all, one due date and one Canvas column applied to every assignment
    (a student's a3 notebook in the a1 folder was graded against a1's due date, and each assignment's Canvas
    file named the same column), and the run exited 0."""
    roster_path = write(tmp_path / "roster.csv", ROSTER)
    done = grade(tmp_path / "subs", tmp_path / "grades.csv", "--no-sandbox", "--roster", str(roster_path),
                 "--assignment", "all", "--due", "2025-03-01", "--canvas-assignment", "4242")
    assert done.returncode == 2 and done.stderr == (
        "autograde: DUE (--due), CANVAS_ASSIGNMENT (--canvas-assignment) belong to one assignment, and "
        "ASSIGNMENT=all (--assignment all) grades each notebook against its own: grade each assignment's folder "
        "with its ASSIGNMENT.\n")
    assert not (tmp_path / "grades.csv").exists()


def test_grades_inside_the_submissions_folder_is_one_plain_sentence(tmp_path):
    (tmp_path / "subs").mkdir()
    done = grade(tmp_path / "subs", tmp_path / "subs" / "out" / "grades.csv", "--no-sandbox")
    assert done.returncode == 2 and "PosixPath" not in done.stderr and done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"autograde: the grades file {tmp_path}/subs/out/grades.csv is inside the "
                                  f"submissions folder {tmp_path}/subs: ")
    assert not (tmp_path / "subs" / "out").exists()


def test_a_folder_of_jupyter_checkpoints_only_says_no_submissions_were_found(tmp_path):
    folder = tmp_path / "subs"
    nbformat.write(solved(A1), touch(folder, "s001/.ipynb_checkpoints/a1-checkpoint.ipynb"))
    nbformat.write(solved(A1), touch(folder, ".ipynb_checkpoints/a1-checkpoint.ipynb"))
    done = grade(folder, tmp_path / "grades.csv", "--no-sandbox")
    assert done.returncode == 2 and done.stderr == (
        f"autograde: no submissions were found in the submissions folder {folder}: it holds no notebook (.ipynb "
        "file), only 2 Jupyter checkpoints (in .ipynb_checkpoints/, ignored).\n")


def test_a_score_sheet_with_a_label_twice_names_both_lines(tmp_path):
    from grader import manual
    folder = tmp_path / "written"
    key = manual.read_key(folder)
    ada, emile = (manual.label(key, "q4w", s) for s in ("s001", "s002"))
    write(folder / "q4w.scores.csv", f"label,points,comment\n{ada},1,\n{emile},2,\n{ada},1.5,again\n")
    with pytest.raises(Refused) as error:
        manual.scores(folder, ["s001", "s002"], {"q4w": 2})
    assert str(error.value) == f"q4w.scores.csv, line 4, field label: '{ada}' is also on line 2: one row per answer"


def test_a_score_sheet_and_a_roster_saved_with_semicolons_are_read(tmp_path):
    """As a spreadsheet saves CSV where the decimal mark is a comma: ';' between fields, '1,5' for 1.5."""
    from grader import manual
    folder = tmp_path / "written"
    key = manual.read_key(folder)
    ada, emile, kurt = (manual.label(key, "q4w", s) for s in ("s001", "s002", "s003"))
    sheet = write(folder / "q4w.scores.csv", f"label;points;comment\n{ada};1,5;\"close; but why?\"\n{emile};2;\n")
    assert manual.scores(folder, ["s001", "s002"], {"q4w": 2}) == {
        ("s001", "q4w"): (1.5, "close; but why?"), ("s002", "q4w"): (2.0, "")}
    manual.review(folder, "A", {"q4w": {"s001": "x", "s002": "y", "s003": "z"}}, {"q4w": 2})
    assert sheet.read_text().splitlines()[-1] == f"{kurt};;"            # a new row, in the sheet's own separator
    r = make_roster(tmp_path, ROSTER.replace(",", ";"))
    assert [s.id for s in r.students] == ["s001", "s002", "s003", "s004"] and r.by_id["s002"].canvas_id == "1002"


# Canvas's gradebook export (Grades, Export): "Student, ID, SIS User ID, SIS Login ID, Section", then a column
# per assignment headed "Title (assignment id)" and Canvas's totals; the row after the header is "Points Possible".
CANVAS_EXPORT = """Student,ID,SIS User ID,SIS Login ID,Section,Assignment 1 (4242),Current Score,Final Score
    Points Possible,,,,,15.00,(read only),(read only)
"Lovelace, Ada",1001,s001,ada,A,12.00,80.00,80.00
"Borel, Émile",1002,s002,emile,B,,,0.00
"""


def test_canvas_s_gradebook_export_is_a_roster(tmp_path):
    r = make_roster(tmp_path, CANVAS_EXPORT)
    assert [(s.id, s.name, s.canvas_id, s.login, s.section) for s in r.students] == [
        ("s001", "Lovelace, Ada", "1001", "ada", "A"), ("s002", "Borel, Émile", "1002", "emile", "B")]
    assert r.columns == []                                                # Canvas's grades are not carried
    subs = tmp_path / "subs"
    touch(subs, "lovelaceada_1001_7_a1.ipynb")
    touch(subs, "borelemile_9999_8_a1.ipynb")                             # by the name, as Canvas spells it
    found, _ = intake.walk(subs)
    assert [intake.owner(f, r)[0].id for f in found] == ["s002", "s001"]
    out = tmp_path / "canvas.csv"
    rows = {f.name: grades_row(f.name) for f in found}
    term = gradebook.build(r, found, [], rows, QUESTIONS)
    canvas.write(out, term.entries["a1"], "Assignment 1", "4242")
    assert read(out)[2] == ["Lovelace, Ada", "1001", "s001", "ada", "A", "3"]   # back in the form Canvas gave
    moodle.write(out, term.entries["a1"], "Assignment 1")
    assert read(out)[1][:3] == ["Ada", "Lovelace", "s001"]


def test_canvas_s_anonymous_grading_names_no_student_and_says_so(tmp_path):
    r = make_roster(tmp_path)
    subs = tmp_path / "subs"
    touch(subs, "anon_X7qZ2_55001_a1.ipynb")
    touch(subs, "LATE_anon_7abc9_55002_a1.ipynb")
    found, _ = intake.walk(subs)
    why = {f.name: intake.owner(f, r) for f in found}
    for name, anonymous in [("anon_X7qZ2_55001_a1.ipynb", "X7qZ2"), ("LATE_anon_7abc9_55002_a1.ipynb", "7abc9")]:
        student, reason = why[name]
        assert student is None and reason.startswith(
            f"Canvas's anonymous grading is on for this assignment: the name says anon_{anonymous}, not the student")
    assert [f.late for f in found] == [True, False] and all(f.submitted is None for f in found)


def test_rows_sort_as_a_person_reads_them():
    names = ["b.ipynb", "A10.ipynb", "a2.ipynb", "Émile.ipynb", "Emmy.ipynb", "C.ipynb", "a.ipynb", "A.ipynb"]
    assert sorted(names, key=batch.natural) == [
        "A.ipynb", "a.ipynb", "a2.ipynb", "A10.ipynb", "b.ipynb", "C.ipynb", "Émile.ipynb", "Emmy.ipynb"]
    assert sorted(reversed(names), key=batch.natural) == sorted(names, key=batch.natural)   # whatever came first


def test_a_module_that_cannot_be_imported_is_named_with_its_cell(tmp_path):
    from grader.model import Status, Verdict, status_of
    nb = solved(A1)
    at = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "def my_jsd" in c.source)
    nb.cells[at].source = "import no_such_module\n" + nb.cells[at].source
    nbformat.write(nb, touch(tmp_path / "subs", "s001.ipynb"))
    done = grade(tmp_path / "subs", tmp_path / "grades.csv", "--no-sandbox")
    status = next(csv.DictReader(open(tmp_path / "grades.csv", newline="")))["status"]
    assert status == f"module `no_such_module` cannot be imported (cell {at + 1})", done.stdout
    assert status_of(status) is Status.NO_MODULE
    assert str(Verdict(Status.NO_MODULE, "`scipy.special` (cell 3)")) == "module `scipy.special` cannot be imported (cell 3)"


def test_functions_not_defined_are_named_in_the_plural():
    from grader.model import Status, Verdict, status_of
    assert str(Verdict(Status.UNDEFINED, "`my_jsd`")) == "function `my_jsd` is not defined"
    status = str(Verdict(Status.UNDEFINED, "`a`, `b`"))
    assert status == "functions `a`, `b` are not defined"
    assert status_of(status) is Status.UNDEFINED


def test_statistics_count_each_student_once_with_whole_numbers_on_the_histogram(term4):
    from grader import stats
    tmp = term4[0]
    page = (tmp / "one" / f"stats.{A4}.html").read_text()
    # five notebooks matched to four students (s004's earlier one does not count), one matched to none
    assert "<p>4 students' graded submissions (one per student of the roster" in page
    per, _ = stats.summary([{"status": "ok", "total": str(t), "q1": str(t), "failed": ""} for t in (1, 2, 3)],
                           ["q1"], [])
    figure = stats.figure(per, [1.0, 2.0, 3.0])
    figure.canvas.draw()
    ticks = figure.axes[0].get_yticks()
    assert len(ticks) > 1 and all(float(t).is_integer() for t in ticks), ticks


def test_statistics_show_a_call_with_its_keyword_arguments_and_a_public_test_s_expected_value():
    from grader import stats
    bundle = build.bundles(sandboxed=False)[A1]
    k = next(i for i, t in enumerate(bundle.tests) if t.public and t.kwargs)
    test = bundle.tests[k]
    shown = stats.describe(test, bundle.expected[k])
    assert shown.startswith(f"{test.call}([0.5, 0.5], base=2) (public): close to 1"), shown
    hidden = next(i for i, t in enumerate(bundle.tests) if not t.public and t.kwargs)
    assert "base=" in stats.describe(bundle.tests[hidden], bundle.expected[hidden])
    assert "close to" not in stats.describe(bundle.tests[hidden], bundle.expected[hidden])


def section(title):
    """A section of running_a_term.md, its lines joined (the page wraps its sentences)."""
    page = (grading.ROOT / "running_a_term.md").read_text()
    return " ".join(page.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0].split())


def test_the_statistics_page_shows_hidden_inputs_and_its_section_warns_about_sharing_it():
    from grader import stats
    bundle = build.bundles(sandboxed=False)[A1]
    hidden = next(i for i, t in enumerate(bundle.tests) if not t.public)
    assert stats.describe(bundle.tests[hidden], bundle.expected[hidden]).startswith(f"{bundle.tests[hidden].call}(")
    assert "share the page with students only once no more submissions are taken" in section("Class statistics")


def test_the_penalty_is_a_share_of_the_points_earned_written_answers_included_as_the_page_says(tmp_path):
    r, term = small_term(tmp_path, Policy(DUE, penalty=0.1), written={("s001", "a1"): {"q2w": (1.0, "")}})
    entry = next(e for e in term.entries["a1"] if e.student.id == "s001")
    assert Policy(DUE, penalty=0.1).deduction(entry.auto + entry.manual, 2) == pytest.approx(0.2 * (entry.auto + 1))
    assert ("the share of the points the student earned (the tests' and the written answers') taken per started "
            "day late") in section("Deadlines")


def test_a_canvas_late_file_within_an_extension_is_on_time_once_late_is_out_of_its_name(tmp_path):
    """The roster's extension does not override Canvas's LATE (no time says when the file came); the page
    says what to do once the instructor sees in Canvas that it came within the extension."""
    r = make_roster(tmp_path, "id,name,canvas_id,extension\ns004,Emmy Noether,1004,2\n")
    for name, late, doubtful in [("noetheremmy_LATE_1004_9_a1.ipynb", 1, 1), ("noetheremmy_1004_9_a1.ipynb", 0, 0)]:
        subs = tmp_path / name
        found, skipped = intake.walk(touch(subs, name).parent)
        term = gradebook.build(r, found, skipped, {name: grades_row(name)}, QUESTIONS, {"a1": Policy(DUE, 0.1)})
        assert (term.entries["a1"][0].late_days, len(term.doubtful)) == (late, doubtful)
    said = section("Deadlines")
    assert "The roster's extension does not override Canvas's `LATE`" in said
    assert "take `LATE` out of its name" in said


def test_the_self_check_shows_keyword_arguments_and_expected_values_and_check_returns_nothing():
    import contextlib
    import io
    copy = nbformat.read(build.OUT / "student" / A1 / f"{A1}.ipynb", as_version=4)
    selfcheck = next(c.source for c in copy.cells if "selfcheck" in c.metadata.get("tags", []))
    namespace, out = {}, io.StringIO()
    with contextlib.redirect_stdout(out):
        exec("import numpy as np\n" + selfcheck, namespace)
        returned = namespace["check"]("q1")
    assert returned is None                     # Jupyter shows nothing after what check printed
    printed = out.getvalue()
    assert "FAILED: my_entropy([0.5, 0.5], base=2): my_entropy is not defined yet (expected 1.0)" in printed, printed


# ---------------------------------------------------------------- what the instructor reads: make, README, pages

def test_every_make_grade_option_is_in_the_usage_line_and_once_in_the_readme_table():
    makefile = (grading.ROOT / "Makefile").read_text()
    options = re.findall(r"\$\(if \$\((?:filter \w+,\$\()?(\w+)\)", makefile.split("GRADE_OPTIONS =")[1].split("grade:")[0])
    assert {"TIMEOUT", "SHARD", "ROSTER", "DUE", "PENALTY", "LATE_LIMIT", "CANVAS_ASSIGNMENT", "SANDBOX"} <= set(options)
    usage = subprocess.run(["make", "-s", "-o", ".venv/.ready", "grade"], cwd=grading.ROOT, capture_output=True,
                           text=True)
    assert usage.returncode == 2 and usage.stdout.startswith("usage: make grade SUBMISSIONS=folder")
    table = [line for line in (grading.ROOT / "README.md").read_text().splitlines() if line.startswith("| `")]
    for option in options:
        assert f"[{option}=" in usage.stdout, option
        rows = [line for line in table if re.match(rf"\| `{option}(=\w+)?` \|", line)]
        assert len(rows) == 1 and len(rows[0].split("|")[3].strip()) > 10, (option, rows)   # with its meaning


def test_through_make_the_grader_s_status_is_make_s_error_line(tmp_path):
    """make ends with its own status 2 whatever the grader's non-zero status: its last line gives the grader's."""
    folder = tmp_path / "subs"
    nbformat.write(solved(A1), touch(folder, "s001.ipynb"))
    write(folder / "notes.txt", "not a notebook")                          # something that needs the instructor
    run = lambda *more: subprocess.run(["make", "-o", ".venv/.ready", "grade", f"SUBMISSIONS={folder}",  # noqa: E731
                                        "SANDBOX=off", *more], cwd=grading.ROOT, capture_output=True, text=True)
    needs = run(f"GRADES={tmp_path / 'out' / 'grades.csv'}")
    last = r"make(\[\d+\])?: \*\*\* \[Makefile:\d+: grade\] Error {}$"   # make[1] when make runs inside make
    assert needs.returncode == 2 and re.search(last.format(1), needs.stderr.strip())
    bad = run(f"GRADES={tmp_path / 'out' / 'grades.csv'}", "PENALTY=0.1")
    assert bad.returncode == 2 and re.search(last.format(2), bad.stderr.strip())
    page = (grading.ROOT / "running_a_term.md").read_text()
    assert "Through\nmake, both 1 and 2 end make with its own status 2" in page


def test_no_page_counts_the_assignments_otherwise_than_the_masters():
    words = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8}
    for page in sorted(grading.ROOT.glob("*.md")):
        text = " ".join(page.read_text().split())
        for said in re.findall(r"(?<!of )\b(one|two|three|four|five|six|seven|eight|\d+) (?:auto-graded )?\[?assignments\b",
                               text, re.I):
            assert words.get(said.lower(), said) in (len(build.masters()), str(len(build.masters()))), (page.name, said)
