# JupyterHub for a class on one machine, with fireside's kernel.
#
#   bash ci/setup && bash ci/setup-classroom   # the kernel, JupyterHub and its proxy
#   FIRESIDE_CLASS_PASSWORD=... bash ci/hub
#
# Students open http://<server>:8000, log in with any user name and the
# class password, and land in JupyterLab with the tutorials. Every kernel
# uses the one prebuilt cell template in .venv/share/fireside: burn is
# built once per machine, not once per student.
#
# The README's "Teaching with fireside" says how many students fit, and
# classroom/tests/test_hub.py runs this file with five students.
import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = REPO / ".venv"

c = get_config()  # noqa: F821 (JupyterHub defines it)

# Where students reach the hub. Put it behind TLS (c.JupyterHub.ssl_cert and
# ssl_key, or a reverse proxy) before opening it beyond the machine.
c.JupyterHub.ip = os.environ.get("FIRESIDE_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("FIRESIDE_HUB_PORT", "8000"))

# A shared class password: JupyterHub's successor of DummyAuthenticator's
# password (deprecated since JupyterHub 5.3), made for workshops. Anyone with
# the password can log in as any non-admin name: for a term-long course use a
# real authenticator (your university's OAuth, or the system's PAM).
c.JupyterHub.authenticator_class = "shared-password"
if not os.environ.get("FIRESIDE_CLASS_PASSWORD"):
    raise SystemExit("set FIRESIDE_CLASS_PASSWORD to the password the class logs in with (8 characters or more)")
c.SharedPasswordAuthenticator.user_password = os.environ["FIRESIDE_CLASS_PASSWORD"]
c.Authenticator.allow_all = True

# Each student's JupyterLab runs as a local process. "simple" runs them all as
# the teacher's own Unix user, each in its own home (/tmp/<name>), which is
# what JupyterHub's docs use for trying a hub out. With one Unix account per
# student, use "localprocess" instead (the hub then runs as root).
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = os.environ.get("FIRESIDE_HUB_HOMES", "/tmp") + "/{username}"
c.Spawner.cmd = [str(VENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
if os.geteuid() == 0:  # a container or CI machine, where the teacher is root
    c.Spawner.args = ["--ServerApp.allow_root=True"]
c.Spawner.notebook_dir = "~"


def give_the_chapters(spawner):
    """Copies the chapters into a student's home at each start, keeping the
    student's own copies: a chapter already there is the student's work."""
    home = Path(spawner.home_dir)
    home.mkdir(parents=True, exist_ok=True)
    for chapter in sorted((REPO / "tutorials").glob("*.ipynb")):
        if not (home / chapter.name).exists():
            shutil.copy2(chapter, home / chapter.name)


c.Spawner.pre_spawn_hook = give_the_chapters
# JupyterHub's defaults, and the chapters' training length (FIRESIDE_PROFILE).
c.Spawner.env_keep = [
    "PATH", "PYTHONPATH", "CONDA_ROOT", "CONDA_DEFAULT_ENV", "VIRTUAL_ENV", "LANG", "LC_ALL",
    "JUPYTERHUB_SINGLEUSER_APP", "FIRESIDE_PROFILE",
]
# A student's HOME is /tmp/<name>: the full data sets stay where the teacher
# installed them (the loaders' ~/.cache/fireside, or FIRESIDE_DATA).
c.Spawner.environment = {"FIRESIDE_DATA": os.environ.get("FIRESIDE_DATA", str(Path.home() / ".cache" / "fireside"))}
# A kernel's first cell loads the toolkit; a laptop-class machine shared by a
# whole class can take a while to start every server at once.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120

# The proxy from npm (classroom/package.json), which ci/setup-classroom installs.
c.ConfigurableHTTPProxy.command = [str(REPO / "classroom" / "node_modules" / ".bin" / "configurable-http-proxy")]

# The hub's own state: its database and cookie secret.
state = Path(os.environ.get("FIRESIDE_HUB_STATE", REPO / "out" / "hub"))
state.mkdir(parents=True, exist_ok=True)
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
