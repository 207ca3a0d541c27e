"""Files an LMS imports: Canvas's gradebook CSV and Moodle's grade import CSV (see each module)."""
