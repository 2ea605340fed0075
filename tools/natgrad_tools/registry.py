"""The model families these tools read, by the type name of /model (attribute 'type') and of theta files
('model_type'), each a module of this package. Adding a family NAME: write natgrad_tools/NAME.py with the interface
below, and add its line "NAME": ".NAME" to MODULES. Nothing else changes: the generic modules (model, summaries,
compare, export, cli) ask the family module for everything about its type, and the package exports its __all__.

A family module defines
  TYPE                       its type name ('lda')
  TENSORS                    the tensors of lambda it reads: the /model datasets that hold lambda in schema 1 files,
                             which have no /layout; schema 2 files must name them in /layout/names
  REQUIRED                   {format: objects a file of that format and type has}: MODEL, and THETA if it has
                             theta files
  build(f, path, tensors, common)   its Model subclass (read_model returns it), from the open file, lambda's
                             tensors {name: array} and the fields of Model (common)
  summary_rows(f, path, tensors)    'summary' rows of the model: (label, text), its type line first
  data_row(data)             the 'training data' row, from the /data attributes
  UNIT, HINT                 what its parts are called ('topic'), and where to look at them, for refusals
                             ("for lda models see 'topics'")
  DISTANCE, distances(a, b)  compare: the distance's description, and the matrix [K_a, K_b] between two of its
                             models (or references)
  compare_lines(a, b, pairs, dist)  compare's table, one line per matched pair (and a header)
  export(model, prefix, fmt), EXPORT_FILES   write the parameters (returns the paths); what it writes (--help)
  ASSIGNMENTS                an Assignments: what its theta files hold (read_theta, summary, export --theta)
  theta_rows(f, matrix)      'summary' rows of a nonempty theta file of the type
  __all__                    its public names, which the package exports (nt.LdaModel, nt.top_words, ...)
and may define
  flat_layout(shapes)        (offsets, strides) of its TENSORS in the flat lambda, for schema 1 files
  add_commands(sub)          its own subcommands, on the argparse subparsers (lda: topics; gmm: components)
  EXPORT_FLAGS, add_export_arguments(parser), check_export_args(args), export_extra(model, args)
                             options of 'export' for its models only (lda: --corpus, --pyldavis), refused for others
  REFERENCES, REFERENCE_HELP {format: reader} of other files compare takes as B, and what they are (--help) (gmm: a
                             dense data file's /truth; what the reader returns has .type, .source and .path)
  dense_rows(f, path)        extra 'summary' rows of a dense data file (gmm: its /truth)
"""
import importlib
from collections import namedtuple

# type name -> module: ".NAME" a module of this package (another name: an importable module, as tests do)
MODULES = {
    "lda": ".lda",
    "gmm": ".gmm",
    "hpf": ".hpf",
}

# The type of a theta file without 'model_type': theta files were written before mixtures, by lda only.
UNTYPED_THETA = "lda"

# What a theta file of a type holds: its matrix dataset (rows normalised on reading; 'export --KEY' reads one), the
# export name, the id column's header and the unit of its columns (export csv), the id and other row datasets, the
# rows' symbol and noun (summary: 'D = 1000 documents'), and what the matrix is (help).
Assignments = namedtuple("Assignments", "key name id_label unit extras symbol rows what")


def types():
    """The type names these tools read, in registry order."""
    return tuple(MODULES)


def family(kind):
    """The module of a model type, or None for a type this tool has no module for."""
    name = MODULES.get(kind)
    return importlib.import_module(name, __package__) if name else None


def families():
    """The family modules, in registry order."""
    return [family(kind) for kind in MODULES]
