#!/usr/bin/env python3
"""Writes small facesh model files with random weights and the images a plain numpy decoder
computes for them, so the Swift decoder can be checked against an independent implementation.

Run from this folder: python3 make_decoder_reference.py (needs numpy). The outputs are small
and checked in; rerun only when the cases change.
"""
import json
import struct

import numpy as np


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def conv_transpose(x, w, b, stride, pad):
    """x (C, H, W), w (C, K, R, S): every input pixel adds its kernel-weighted copy."""
    c_in, h, wd = x.shape
    _, k, r, s = w.shape
    p = (h - 1) * stride[0] - 2 * pad[0] + r
    q = (wd - 1) * stride[1] - 2 * pad[1] + s
    full = np.zeros((k, (h - 1) * stride[0] + r, (wd - 1) * stride[1] + s), dtype=np.float64)
    for iy in range(h):
        for ix in range(wd):
            contribution = np.einsum("c,ckrs->krs", x[:, iy, ix], w)
            full[:, iy * stride[0]:iy * stride[0] + r, ix * stride[1]:ix * stride[1] + s] += contribution
    out = full[:, pad[0]:pad[0] + p, pad[1]:pad[1] + q]
    return out + b[:, None, None]


def run(layers, params, z):
    x = z.astype(np.float64).reshape(-1, 1, 1)
    for i, layer in enumerate(layers):
        t = layer["type"]
        if t == "linear":
            x = params[f"decoder.{i}.weight"] @ x.reshape(-1) + params[f"decoder.{i}.bias"]
            x = x.reshape(-1, 1, 1)
        elif t == "reshape":
            x = x.reshape(layer["shape"])
        elif t == "conv_transpose2d":
            x = conv_transpose(x, params[f"decoder.{i}.weight"], params[f"decoder.{i}.bias"],
                               layer.get("stride", [1, 1]), layer.get("padding", [0, 0]))
        elif t == "batch_norm":
            g, bt = params[f"decoder.{i}.weight"], params[f"decoder.{i}.bias"]
            m, v = params[f"decoder.{i}.running_mean"], params[f"decoder.{i}.running_var"]
            x = (x - m[:, None, None]) / np.sqrt(v[:, None, None] + layer["eps"]) * g[:, None, None] + bt[:, None, None]
        elif t == "relu":
            x = np.maximum(x, 0)
        elif t == "leaky_relu":
            x = np.where(x > 0, x, x * layer["slope"])
        elif t == "sigmoid":
            x = 1 / (1 + np.exp(-x))
        elif t == "tanh":
            x = np.tanh(x)
    return x


def make(name, latent, layers, seed, count=3):
    rng = np.random.default_rng(seed)
    params = {}
    for i, layer in enumerate(layers):
        t = layer["type"]
        if t == "linear":
            params[f"decoder.{i}.weight"] = rng.normal(0, 0.4, (layer["out"], layer["in"]))
            params[f"decoder.{i}.bias"] = rng.normal(0, 0.1, layer["out"])
        elif t == "conv_transpose2d":
            r, s = layer["kernel"]
            params[f"decoder.{i}.weight"] = rng.normal(0, 0.3, (layer["in"], layer["out"], r, s))
            params[f"decoder.{i}.bias"] = rng.normal(0, 0.1, layer["out"])
        elif t == "batch_norm":
            c = layer["channels"]
            params[f"decoder.{i}.weight"] = rng.uniform(0.5, 1.5, c)
            params[f"decoder.{i}.bias"] = rng.normal(0, 0.2, c)
            params[f"decoder.{i}.running_mean"] = rng.normal(0, 0.3, c)
            params[f"decoder.{i}.running_var"] = rng.uniform(0.5, 2.0, c)
    params = {k: v.astype(np.float32).astype(np.float64) for k, v in params.items()}
    z = rng.normal(0, 1, (count, latent)).astype(np.float32)
    images = np.stack([run(layers, params, row) for row in z]).astype(np.float32)
    tensors = {k: v.astype(np.float32) for k, v in params.items()}
    tensors["latents"] = z
    tensors["pca.mean"] = np.zeros(latent, np.float32)
    tensors["pca.axes"] = np.eye(latent, dtype=np.float32)
    tensors["pca.sigma"] = np.ones(latent, np.float32)
    architecture = {"name": name, "latent_size": latent, "layers": layers}
    write_safetensors(f"decoder/{name}.safetensors", tensors, {
        "format": "facesh-model", "format_version": "1", "architecture": json.dumps(architecture)})
    write_safetensors(f"decoder/{name}.expected.safetensors", {"images": images}, {})


def convt(cin, cout, kernel, stride=1, pad=0):
    return {"type": "conv_transpose2d", "in": cin, "out": cout, "kernel": kernel,
            "stride": [stride, stride], "padding": [pad, pad]}


make("linear_sigmoid", 5, [{"type": "linear", "in": 5, "out": 12},
                           {"type": "reshape", "shape": [3, 2, 2]}, {"type": "sigmoid"}], 1)
make("conv_kernel4x1_tanh", 6, [{"type": "reshape", "shape": [6, 1, 1]}, convt(6, 3, [4, 1]),
                                {"type": "tanh"}], 2)
make("conv_stride_pad_batchnorm", 4, [
    {"type": "linear", "in": 4, "out": 32}, {"type": "reshape", "shape": [8, 2, 2]},
    {"type": "leaky_relu", "slope": 0.2}, convt(8, 6, [4, 4], 2, 1),
    {"type": "batch_norm", "channels": 6, "eps": 1e-5}, {"type": "relu"},
    convt(6, 3, [3, 3], 2, 1), {"type": "sigmoid"}], 3)
make("codeparade_narrow", 10, [
    {"type": "reshape", "shape": [10, 1, 1]}, convt(10, 8, [4, 1]), {"type": "relu"},
    convt(8, 8, [4, 4]), {"type": "relu"}, convt(8, 8, [4, 4]), {"type": "relu"},
    convt(8, 6, [4, 4], 2), {"type": "relu"}, convt(6, 4, [4, 4], 2), {"type": "relu"},
    convt(4, 3, [6, 6], 2), {"type": "sigmoid"}], 4)
