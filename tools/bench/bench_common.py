"""What the benchmark scripts share (imported from their own folder)."""
import os
import subprocess


def mpi_env():
    """The environment for mpirun here: as root if need be, more ranks than cores allowed."""
    env = dict(os.environ)
    if os.geteuid() == 0:
        env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    env["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
    return env


def convert_uci_split(natgrad, folder, name, train, heldout):
    """Converts the UCI corpus `name` in `folder` (docword.NAME.txt.gz, vocab.NAME.txt) as the benchmarks split
    it, one document in ten held out (--split-every 10): its training part to `train`, the rest to `heldout`."""
    subprocess.run([natgrad, "convert", "uci", os.path.join(folder, f"docword.{name}.txt.gz"),
                    os.path.join(folder, f"vocab.{name}.txt"), "--split-every", "10", "--out", str(train),
                    "--heldout-out", str(heldout)], check=True, stdout=subprocess.DEVNULL, env=mpi_env())
