"""The course's JupyterHub for a class on one server: `make class-env`, `make hub` (python -m hub), `make hub-stop`.

limits.py and cgroups.py need only the standard library (the grader imports them); spawner.py and
jupyterhub_config.py run inside the hub, in the class environment that has JupyterHub.
"""
