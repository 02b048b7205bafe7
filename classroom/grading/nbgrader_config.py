"""nbgrader's settings for fireside's chapters (Rust, on the fireside kernel).

A teacher copies this file into the course directory, or passes it:
    nbgrader generate_assignment 05-cnn-mnist --config classroom/grading/nbgrader_config.py
The chapters in tutorials/ are the teacher's version: each exercise's solution sits
between `// BEGIN SOLUTION` and `// END SOLUTION`, and its test cell carries points.
"""

c = get_config()  # noqa: F821 (nbgrader provides it)

# What replaces a solution in the student's version: a Rust stub that compiles and fails
# when it runs, so an unanswered exercise scores 0 instead of breaking the notebook.
c.ClearSolutions.code_stub = {
    "rust": "// YOUR CODE HERE\ntodo!()",
    "python": "# YOUR CODE HERE\nraise NotImplementedError()",
}

# Grading executes the whole chapter; its training cells take longer than nbgrader's
# default of 30 s per cell.
c.Execute.timeout = 900
