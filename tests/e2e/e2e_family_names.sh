# Outside a family's own folders and the registries, no code names a family
# (tests/e2e/check_family_names.py says what is checked).
source "$(dirname "$0")/common.sh"
"$NATGRAD_PYTHON" "$HERE/check_family_names.py" "$NATGRAD_REPO" || fail "code outside the family folders names a family"
echo "e2e_family_names: ok"
