"""What the benchmark scripts share (imported from their own folder)."""
import os


def mpi_env():
    """The environment for mpirun here: as root if need be, more ranks than cores allowed."""
    env = dict(os.environ)
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
    return env
