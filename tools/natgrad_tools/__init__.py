"""Analysis tools for natgrad files: models, checkpoints, corpora, dense data and theta files.

usage: natgrad_tools.py summary FILE
       natgrad_tools.py topics MODEL [--top N] [--format table|csv|json]          (lda)
                               [--reference CORPUS.h5 [--coherence umass,npmi]] [--theta THETA.h5 --pyldavis JSON]
       natgrad_tools.py components MODEL [--format table|csv|json]               (gmm)
       natgrad_tools.py factors MODEL [--top N] [--format table|csv|json]         (hpf)
       natgrad_tools.py recommend THETA.h5 --user NAME [--top N]                  (hpf)
       natgrad_tools.py plot FILE [FILE ...] --out PNG [--x step|seconds]
       natgrad_tools.py compare A B             (B may be a data file with /truth: gmm, hpf)
       natgrad_tools.py export MODEL --out PREFIX [--theta THETA.h5 | --responsibilities RESP.h5]
                               [--corpus CORPUS.h5] [--format npz|csv] [--pyldavis JSON]
   (or python3 -m natgrad_tools ... from tools/)

Model families by type name (registry.py): LDA ('lda', topics; lda.py), the Bayesian Gaussian mixture ('gmm',
components; gmm.py) and hierarchical Poisson factorization ('hpf', factors and recommendations; hpf.py). Every file is checked on opening: a file that is not HDF5, has another format than expected, a
model type this tool does not know, or a schema version newer than this tool reads (models: 2; schema 2 added
/layout) is refused with a message naming it, and the program exits with a non-zero status. A schema 2 model of a
type without a module can still be read generically (read_parameters, history, plot).

Also importable: open_checked, read_parameters (lambda's tensors and Layout of any model file), read_model (an
LdaModel or a GmmModel), read_theta, read_dense, read_truth, summary, top_words, components, align, distances,
hellinger, wasserstein2, history, metric_name, plot_convergence, export_model, export_assignments, log_predictive,
heldout_loglik, export_pyldavis (and pyldavis_data, for pyLDAvis.prepare), coherence (of topics over a reference
corpus), write_corpus (a document-term matrix, e.g. scikit-learn's CountVectorizer's, as a natgrad corpus); and
each family module's __all__.

Modules: formats (file formats, open_checked), corpus (write_corpus), layout (Layout, reading /layout), model
(Model, read_parameters, read_model), registry (type name -> family module), lda, gmm, hpf (the families), metrics
(distances, history),
plots, compare, export, summaries (summary), cli.
"""
from . import registry
from .compare import align, comparable, distances
from .corpus import write_corpus
from .export import export_assignments, export_model, read_theta
from .formats import CORPUS, DENSE, FORMATS, LAYOUT_SCHEMA, MODEL, PROG, SCHEMA_VERSION, SCHEMA_VERSIONS, THETA, \
    doc_lengths, fail, open_checked, read_dense, text
from .layout import Layout, Parameters
from .metrics import _full, hellinger, history, metric_goal, metric_label, metric_name, wasserstein2
from .model import Model, read_model, read_parameters
from .plots import plot_convergence
from .summaries import summary

__all__ = ["align", "comparable", "distances", "export_assignments", "export_model", "read_theta", "CORPUS", "DENSE",
           "FORMATS", "LAYOUT_SCHEMA", "MODEL", "PROG", "SCHEMA_VERSION", "SCHEMA_VERSIONS", "THETA", "doc_lengths",
           "fail", "open_checked", "read_dense", "text", "Layout", "Parameters", "hellinger", "history", "metric_goal",
           "metric_label", "metric_name", "wasserstein2", "Model", "read_model", "read_parameters", "plot_convergence",
           "summary", "write_corpus", "MODEL_TYPES", "main"]
MODEL_TYPES = registry.types()
for _fam in registry.families():                 # nt.LdaModel, nt.top_words, nt.GmmModel, ... (each __all__)
    globals().update({_name: getattr(_fam, _name) for _name in _fam.__all__})
    __all__ += _fam.__all__
del _fam
_full = _full                                    # the tests use nt._full


def main(argv=None):
    """The command line (natgrad_tools.py, python3 -m natgrad_tools)."""
    from .cli import main as cli_main
    cli_main(argv)
