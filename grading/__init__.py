"""Grade a class's notebooks: every exercise's verdict by the course's own checker, student code in a sandbox.

`make grade SUBMISSIONS=DIR OUT=DIR` (as root): grade.py surveys the folders and writes the gradebook;
notebooks.py reads a submitted file without running it; run.py runs one notebook and judges its checks;
runner.py is what runs inside the sandbox; sandbox.py builds the sandbox; feedback.py writes the pages.

What it defends against (a student who wants the points without the work, or who breaks things):
- Stored outputs, printed text, a fake "right." line: nothing the notebook shows counts. The notebook is run
  again from the top with its outputs removed, and a verdict is only ever the course's checker's.
- A replaced `check`, a patched answer table or patched NumPy comparisons: the checker never runs where the
  student's code runs. The sandbox's `check` only sends the answer's value, as plain data decoded into
  builtin types and numeric arrays (never unpickled, so no object with a rigged `__eq__` reaches the
  checker); the grader judges it with its own, untouched `helpers.checks` and NumPy. A function answer is
  called inside the sandbox on the checker's cases; only its results, as data, come back. On top of that,
  such attempts are marked `tampered` (no credit): a static scan (notebooks.py) flags a `check` defined,
  assigned or imported under another name, anything imported or read from the checker but `check`,
  assignments into numpy, builtins, sys or helpers, `setattr`/`reload` on them, and a check cell
  (the statement `check("NN.k", answer)`) removed or edited; the runner also compares NumPy's comparison
  functions, `check` and the answer table before and after the run.
- Reading what it should not: the notebook's world is a fresh root holding only /usr, /etc, the students'
  environment (read-only) and its scratch folder, as an unprivileged user without capabilities: no other
  submission, no solutions (the checkout is not there), no gradebook, no /etc/shadow (root's only anyway).
- Writing outside its scratch folder: nothing else is writable, and the scratch is a tmpfs of fixed size that
  vanishes with the run. No network (a new network namespace with no interface up).
- Running forever, allocating 50 GB, fork bombs, 10 GB of output: a time limit per notebook, a memory and a
  process limit (cgroup v1), output sent to /dev/null; every process is killed at the end (PID namespace,
  and the cgroup emptied). A flood on the grader's channel is cut at 16 MB a message and marked `tampered`.
- Hostile files: read without following links, at most 50 MB, parsed as JSON only; another course's notebook,
  a renamed one, two folders for one student are `invalid`, with what to do.

What it does not defend against:
- Knowing the answer: the checker's cases and expected values ship with the course (students can read
  helpers/checks.py), so a student who writes in the right value, or a function that returns the checker's
  expected results for its cases, gets the points. Hidden tests would need answers kept off the students'
  machines, which the course's self-checking exercises do not have.
- Copying a classmate's notebook: no similarity check.
- The static scan can be dodged (exec of a built string, getattr): such code still cannot change a verdict,
  it only escapes the `tampered` mark.
- Kernel exploits, side channels, and CPU time taken from the other runs within each run's one-core quota.
- The grader itself runs as root and parses JSON and the runner's messages: a bug there is the weak point.
"""
