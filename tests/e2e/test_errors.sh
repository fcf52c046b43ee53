#!/usr/bin/env bash
# Bad input gives a clear error naming the file, line or value, a non-zero exit, no crash and no
# half-written output.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
printf 'model:\n  layers:\n    - conv2d: {filters: 8\n' > malformed.yaml
printf 'model:\n  layers:\n    - conv3d: {filters: 8}\n' > unknown_layer.yaml
printf 'model:\n  layers:\n    - conv2d: {filters: abc}\n' > wrong_type.yaml
printf 'model:\n  input_shape: [3, 3, 1]\n  layers:\n    - conv2d: {filters: 4, kernel_size: 5}\n    - flatten\n    - dense: {units: 10, activation: softmax}\n' > big_kernel.yaml
printf 'model:\n  layers:\n    - conv2d: {filters: 8}\n    - flatten\n    - dense: {units: 10, activation: softmax}\ntrain: {epochs: -1}\n' > bad_value.yaml
printf 'data: {augment: {erasing: 0.5, erasing_min_area: 0.4, erasing_max_area: 0.1}}\nmodel: {layers: [flatten, dense: {units: 10}]}\n' > erasing.yaml
: > empty.yaml
expect_error "malformed YAML" "malformed.yaml:[0-9]+:[0-9]+" "$CLCNN" train malformed.yaml --out o1
expect_error "unknown layer" "unknown_layer.yaml:3:[0-9]+.*conv3d" "$CLCNN" train unknown_layer.yaml --out o2
expect_error "wrong type" "wrong_type.yaml:3:[0-9]+.*abc" "$CLCNN" train wrong_type.yaml --out o3
expect_error "kernel larger than its input" "layer 0 .*5x5 kernel does not fit a 3x3 input" "$CLCNN" train big_kernel.yaml --out o4
expect_error "impossible value" "bad_value.yaml:6:[0-9]+.*epochs" "$CLCNN" train bad_value.yaml --out o5
expect_error "erasing areas out of order" "erasing.yaml: .*erasing_max_area: 0.1 is below data.augment.erasing_min_area" "$CLCNN" train erasing.yaml --out o11
expect_error "erasing areas out of order (tune)" "^clcnn: error: erasing.yaml: .*erasing_max_area" "$CLCNN" tune erasing.yaml --out o12
expect_error "empty config (no layers)" "empty.yaml: .*model.layers: a model needs 1 to 64 layers" "$CLCNN" summary empty.yaml
expect_error "unknown --set key" "train.epochz" "$CLCNN" train --set train.epochz=3 --out o6
expect_error "missing config" "nope.yaml" "$CLCNN" train nope.yaml --out o7
expect_error "unknown device" "no OpenCL device matches 'no-such-device'; the devices are:" "$CLCNN" train --device no-such-device --out o8
grep -Eq "^  0: " "$WORK/err.txt" && pass "the unknown-device error lists the devices" || fail "no device list"
for d in o1 o2 o3 o4 o5 o6 o7 o8 o11; do [ ! -e "$d/model.safetensors" ] || fail "$d has a model file"; done

# Data files: a truncated IDX file and a wrong magic number.
mkdir data
gzip -dc /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz > full-images
head -c 100000 full-images > data/t10k-images-idx3-ubyte
cp /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz data/
gzip -dc /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz > data/bad-labels-idx1-ubyte
printf '\x12\x34\x08\x01' | dd of=data/bad-labels-idx1-ubyte bs=1 seek=0 conv=notrunc status=none
cp /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz data/
expect_error "truncated IDX" "t10k-images-idx3-ubyte.*truncated" "$CLCNN" train --out o9 \
    --set data.dir=$WORK/data --set data.test_images=t10k-images-idx3-ubyte --set data.train_limit=100 \
    --set data.train_images=$WORK/data/train-images-idx3-ubyte.gz --set data.train_labels=/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz
expect_error "wrong magic" "bad-labels-idx1-ubyte.*(magic|type)" "$CLCNN" train --out o10 \
    --set data.dir=$WORK/data --set data.train_labels=bad-labels-idx1-ubyte --set data.train_limit=100
for d in o9 o10; do [ ! -e "$d/model.safetensors" ] || fail "$d has a model file"; done

# A cut-short model file and a missing one.
"$CLCNN" train --set data.train_limit=64 --set data.test_limit=64 --set model.layers.0.filters=4 \
    --set model.layers.1.filters=4 --set model.layers.3.units=8 --out tiny > /dev/null
head -c 3000 tiny/model.safetensors > cut.safetensors
expect_error "cut-short model file" "cut.safetensors.*truncated" "$CLCNN" eval cut.safetensors
expect_error "missing model file" "missing.safetensors" "$CLCNN" eval missing.safetensors
expect_error "unknown option" "unknown option '--frobnicate'" "$CLCNN" train --frobnicate

# A hyperparameter range the tuner would refuse fails when the config is read, even by summary.
printf 'model:\n  layers:\n    - flatten\n    - dense: {units: 10, activation: softmax}\ntrain:\n  optimizer:\n    learning_rate: {hp: float, name: lr, min: 1.0e-5, max: 1.0e+20}\n' > bad_range.yaml
expect_error "hyperparameter range beyond 2^52" "bad_range.yaml:7:[0-9]+: hyperparameter 'lr': min and max must lie within" "$CLCNN" summary bad_range.yaml
finish
