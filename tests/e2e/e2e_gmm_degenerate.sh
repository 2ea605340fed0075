# The Gaussian mixture on degenerate data ends with a fit (whose held-out score
# is finite) or with one clear message naming the cause, never an internal
# check's abort: all rows equal, a constant column, fewer distinct rows than K,
# fewer rows than K; full and diagonal covariances, at 2 ranks.
source "$(dirname "$0")/common.sh"
cd "$WORK"
"$NATGRAD_PYTHON" - <<'PY'
import numpy as np
rng = np.random.default_rng(1)
np.savetxt("equal.csv", np.tile([1.5, -2.0, 3.0], (200, 1)), delimiter=",")
x = rng.normal(size=(300, 3)); x[:, 1] = 7.0
np.savetxt("constant.csv", x, delimiter=",")
np.savetxt("few_distinct.csv", np.repeat(rng.normal(size=(3, 2)), 100, axis=0), delimiter=",")
np.savetxt("few_rows.csv", rng.normal(size=(4, 2)), delimiter=",")
PY
failures=0
for f in equal constant few_distinct few_rows; do
  "$NATGRAD" convert csv $f.csv --out $f.h5 >/dev/null
  for cov in full diag; do
    status=0
    timeout 60 "$MPIEXEC" -np 2 "$NATGRAD" fit --model.type gmm --model.components 5 --model.covariance $cov \
      --data.train $f.h5 --solver.epochs 3 --solver.batch_size 64 --output.model m.h5 > out.log 2> err.log || status=$?
    if [ "$status" = 0 ]; then
      score=$(timeout 60 "$MPIEXEC" -np 2 "$NATGRAD" evaluate --model m.h5 --data $f.h5 | grep -oE 'density -?[0-9.]+')
      if [ -n "$score" ]; then echo "ok: $f, $cov: a fit, $score"; else echo "FAIL: $f, $cov: no finite score"; failures=$((failures + 1)); fi
    elif [ "$status" = 1 ] && [ "$(grep -c 'natgrad: error' err.log)" = 1 ] && ! grep -qE "error on rank|MPI_ABORT" err.log; then
      echo "ok: $f, $cov: $(grep 'natgrad: error' err.log)"
    else
      echo "FAIL: $f, $cov: status $status: $(cat err.log)"; failures=$((failures + 1))
    fi
  done
done
grep -q "4 data points for model.components = 5" err.log || { echo "FAIL: fewer rows than K: $(cat err.log)"; failures=$((failures + 1)); }
[ "$failures" = 0 ] || exit 1
echo "e2e_gmm_degenerate: ok"
