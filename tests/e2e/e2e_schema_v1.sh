# Model files of schema version 1 (written by an earlier natgrad, kept in
# tests/data/schema_v1) still work: evaluate and infer read them and give the
# held-out score the fit recorded; a fit restarted from their checkpoints
# continues the old run (the λ of the old binary's own uninterrupted run, to a
# relative 1e-6, 1e-5 for LDA: the local step's single-precision kernels have
# since been rewritten, one per vector width, so today's arithmetic agrees with
# the old binary's to rounding, not bit for bit, and LDA's local step now starts
# from γ = α + n_d/K where it drew γ at random, which converges to the same point
# within solver.local_tol; a restart with the same binary is bit for bit,
# e2e_restart); the Python tools read them. A model file of a type this
# build does not know is refused, naming the type.
source "$(dirname "$0")/common.sh"
cp "$NATGRAD_REPO"/tests/data/schema_v1/*.h5 "$WORK"/
cd "$WORK"
JOBL=(--model.topics 4 --data.train lda_train.h5 --data.heldout lda_test.h5 --solver.batch_size 16 --solver.seed 3
  --eval.every_steps 5)
JOBG=(--model.type gmm --model.components 3 --data.train gmm_train.h5 --data.heldout gmm_test.h5
  --solver.batch_size 16 --solver.seed 3 --eval.every_steps 5)
last_heldout() {  # the last held-out value of a model file's /history
  "$NATGRAD_PYTHON" -c "import sys,h5py; h=h5py.File(sys.argv[1],'r')['history'][:]; print(h[h.dtype.names[-1]][-1])" "$1"
}
close() { "$NATGRAD_PYTHON" -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(abs(a-b) > 1e-4*abs(b))" "$1" "$2"; }

for m in lda gmm gmmdiag; do
  data=${m%diag}_test.h5
  timeout 60 "$MPIEXEC" -np 2 "$NATGRAD" evaluate --model ${m}_model_12.h5 --data "$data" > eval.log
  got=$(grep -oE '(perplexity|density) -?[0-9.]+' eval.log | awk '{print $2}')
  close "$got" "$(last_heldout ${m}_model_12.h5)" || fail "evaluate of the schema 1 ${m} model: $(cat eval.log)"
  timeout 60 "$MPIEXEC" -np 2 "$NATGRAD" infer --model ${m}_model_12.h5 --data "$data" --out theta_$m.h5 >/dev/null \
    || fail "infer of the schema 1 ${m} model"
  "$NATGRAD_PYTHON" "$NATGRAD_REPO/tools/natgrad_tools.py" summary ${m}_model_12.h5 | grep -q "schema version 1" \
    || fail "the tools do not read the schema 1 ${m} model"
done
echo "ok: evaluate, infer and the tools read schema 1 models"

same_lambda() {  # A.h5 B.h5 [TOLERANCE]: every tensor of λ equal to a relative 1e-6 (of its largest entry)
  "$NATGRAD_PYTHON" - "$1" "$2" "${3:-1e-6}" <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
tolerance = float(sys.argv[3])
names = [n.decode() if isinstance(n, bytes) else n for n in b["layout/names"][:]]
worst = max(np.abs(a["model"][n][:] - b["model"][n][:]).max() / np.abs(a["model"][n][:]).max() for n in names)
print(f"{sys.argv[1]} vs {sys.argv[2]}: largest difference {worst:.1e} (relative)")
sys.exit(0 if worst < tolerance else 1)
PY
}
timeout 60 "$MPIEXEC" -np 2 "$NATGRAD" fit "${JOBL[@]}" --solver.max_steps 12 --restart lda_ckpt-000000006.h5 \
  --output.model lda_resumed.h5 >/dev/null
same_lambda lda_model_12.h5 lda_resumed.h5 1e-5 || fail "a restart from a schema 1 lda checkpoint does not continue its run"
timeout 60 "$MPIEXEC" -np 2 "$NATGRAD" fit "${JOBG[@]}" --solver.max_steps 12 --restart gmm_ckpt-000000006.h5 \
  --output.model gmm_resumed.h5 >/dev/null
same_lambda gmm_model_12.h5 gmm_resumed.h5 || fail "a restart from a schema 1 gmm checkpoint does not continue its run"
echo "ok: restarts from schema 1 checkpoints continue their runs"

"$NATGRAD_PYTHON" -c "
import h5py
with h5py.File('lda_model_12.h5', 'r+') as f: f['model'].attrs.modify('type', 'hmm')"
status=0
timeout 30 "$MPIEXEC" -np 2 "$NATGRAD" evaluate --model lda_model_12.h5 --data lda_test.h5 2> err.log >/dev/null || status=$?
[ "$status" = 1 ] && grep -qF "lda_model_12.h5: '/model' type 'hmm' is not a model this natgrad knows" err.log \
  || fail "a model of an unknown type: status $status, $(cat err.log)"
echo "ok: a model of an unknown type is refused naming it"
echo "e2e_schema_v1: ok"
