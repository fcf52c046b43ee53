// data.cl: batches from the uint8 dataset that lives on the device.

// x[b][e] = images[order[start + b]][e] / scale; labels likewise. order may be NULL-equivalent
// (use_order 0): examples start.. in storage order. The data set may be split into chunks (no
// buffer larger than the device allows): images holds examples [chunk_first, chunk_first +
// chunk_n) and a launch per chunk writes the examples that lie in it. Launch: global
// (example_size, n).
__kernel void gather_batch(__global const uchar *images, __global const uchar *labels,
                           __global const uint *order, int use_order, int start, int example_size,
                           float inv_scale, __global float *x, __global uchar *batch_labels,
                           int n, uint chunk_first, uint chunk_n) {
    int e = get_global_id(0), b = get_global_id(1);
    if (e >= example_size || b >= n) return;
    uint idx = use_order ? order[start + b] : (uint)(start + b);
    if (idx - chunk_first >= chunk_n) return; // another chunk's (unsigned: below wraps too)
    x[(size_t)b * example_size + e] = images[(size_t)(idx - chunk_first) * example_size + e] * inv_scale;
    if (e == 0) batch_labels[b] = labels[idx];
}
