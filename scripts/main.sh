#!/usr/bin/env bash
# The main job: render the lecture circuits and train the small nets, writing everything to out/.
source "$(dirname "$0")/setup-env.sh"
mkdir -p out
for example in circuits lecture_circuits mlp_moons spiral second_derivatives gradient_penalty cnn_digits cnn_deltas; do
    echo "== examples/$example.py"
    python "examples/$example.py"
done
echo
echo "Done. Open the files in out/:"
ls -1 out | sed 's/^/  out\//'
