#!/usr/bin/python3
"""The Diehl & Cook (2015) network in Brian2, with hardy's equations and parameters.

Shared by tests/snn/brian2_crosscheck.py (same input spikes as hardy, compares traces) and
bench/snn/compare_brian2_speed.py (training speed). Parameters come as hardy's flat key/value map
(the "params" block of a .snn header or `hardy snn params --json`), so both simulators read the
same numbers. Integration: exponential Euler for v (exact for the step's constant ge, gi), exact
exponential decay for ge, gi, theta (linear equations: Brian2's exponential_euler is exact for
them); STDP traces are event-driven (exact), as in hardy.
"""

import numpy as np
from brian2 import (NeuronGroup, Synapses, ms, mV, Hz)

DEFAULTS = {
    "model": "conductance",
    "time.dt_ms": "0.5", "time.presentation_ms": "350", "time.rest_ms": "150",
    "time.reset_state": "false",
    "input.max_rate_hz": "63.75", "input.retry_rate_increment_hz": "31.875",
    "input.min_spikes": "5", "input.max_presentations": "10",
    "exc.v_rest_mv": "-65", "exc.v_reset_mv": "-65", "exc.v_thresh_mv": "-52",
    "exc.refractory_ms": "5", "exc.tau_m_ms": "100", "exc.e_exc_mv": "0", "exc.e_inh_mv": "-100",
    "exc.tau_ge_ms": "1", "exc.tau_gi_ms": "2", "exc.theta_plus_mv": "0.05",
    "exc.tau_theta_ms": "10000000", "exc.theta_init_mv": "20", "exc.theta_offset_mv": "20",
    "inh.v_rest_mv": "-60", "inh.v_reset_mv": "-45", "inh.v_thresh_mv": "-40",
    "inh.refractory_ms": "2", "inh.tau_m_ms": "10", "inh.e_exc_mv": "0", "inh.tau_ge_ms": "1",
    "synapses.w_exc_inh": "10.4", "synapses.w_inh_exc": "17",
    "stdp.rule": "diehl_cook", "stdp.nu_pre": "0.0001", "stdp.nu_post": "0.01",
    "stdp.tau_pre_ms": "20", "stdp.tau_post1_ms": "20", "stdp.tau_post2_ms": "40",
    "stdp.w_max": "1", "stdp.norm_sum": "78", "stdp.init_w_scale": "0.3",
    "stdp.init_w_offset": "0.01",
}


def num(params, key):
    return float(params[key])


def build(params, source, n, learn=True, method="exponential_euler"):
    """Excitatory and inhibitory groups plus the three synapse sets, driven by `source`
    (784 inputs: a SpikeGeneratorGroup or a PoissonGroup). Returns (objects, exc, inh, syn)."""
    p = dict(DEFAULTS)
    p.update(params)
    if p["model"] != "conductance":
        raise SystemExit("the Brian2 model implements the conductance model only")
    ns = {
        "v_rest_e": num(p, "exc.v_rest_mv") * mV, "v_reset_e": num(p, "exc.v_reset_mv") * mV,
        "v_thresh_e": num(p, "exc.v_thresh_mv") * mV, "tau_e": num(p, "exc.tau_m_ms") * ms,
        "E_exc_e": num(p, "exc.e_exc_mv") * mV, "E_inh_e": num(p, "exc.e_inh_mv") * mV,
        "tau_ge_e": num(p, "exc.tau_ge_ms") * ms, "tau_gi_e": num(p, "exc.tau_gi_ms") * ms,
        "theta_plus": num(p, "exc.theta_plus_mv") * mV, "tau_theta": num(p, "exc.tau_theta_ms") * ms,
        "theta_offset": num(p, "exc.theta_offset_mv") * mV,
        "v_rest_i": num(p, "inh.v_rest_mv") * mV, "v_reset_i": num(p, "inh.v_reset_mv") * mV,
        "v_thresh_i": num(p, "inh.v_thresh_mv") * mV, "tau_i": num(p, "inh.tau_m_ms") * ms,
        "E_exc_i": num(p, "inh.e_exc_mv") * mV, "tau_ge_i": num(p, "inh.tau_ge_ms") * ms,
        "nu_pre": num(p, "stdp.nu_pre"), "nu_post": num(p, "stdp.nu_post"),
        "tau_pre": num(p, "stdp.tau_pre_ms") * ms, "tau_post1": num(p, "stdp.tau_post1_ms") * ms,
        "tau_post2": num(p, "stdp.tau_post2_ms") * ms, "wmax": num(p, "stdp.w_max"),
        "w_ei": num(p, "synapses.w_exc_inh"), "w_ie": num(p, "synapses.w_inh_exc"),
    }
    theta_eq = "dtheta/dt = -theta/tau_theta : volt" if learn else "theta : volt"
    exc = NeuronGroup(
        n,
        """dv/dt = ((v_rest_e - v) + ge*(E_exc_e - v) + gi*(E_inh_e - v)) / tau_e : volt (unless refractory)
           dge/dt = -ge/tau_ge_e : 1
           dgi/dt = -gi/tau_gi_e : 1
           """ + theta_eq,
        threshold="v > v_thresh_e + theta - theta_offset",
        reset="v = v_reset_e" + ("; theta += theta_plus" if learn else ""),
        refractory=num(p, "exc.refractory_ms") * ms, method=method, namespace=ns, name="exc")
    inh = NeuronGroup(
        n,
        """dv/dt = ((v_rest_i - v) + ge*(E_exc_i - v)) / tau_i : volt (unless refractory)
           dge/dt = -ge/tau_ge_i : 1""",
        threshold="v > v_thresh_i", reset="v = v_reset_i",
        refractory=num(p, "inh.refractory_ms") * ms, method=method, namespace=ns, name="inh")
    exc.v = ns["v_rest_e"]
    inh.v = ns["v_rest_i"]
    exc.theta = num(p, "exc.theta_init_mv") * mV
    if learn:
        post_code = ("post2before = post2; " if p["stdp.rule"] == "diehl_cook" else "") + (
            "w = clip(w + nu_post * pre * post2before, 0, wmax); post1 = 1.; post2 = 1."
            if p["stdp.rule"] == "diehl_cook" else
            "w = clip(w + nu_post * pre, 0, wmax); post1 = 1.")
        syn = Synapses(
            source, exc,
            model="""w : 1
                     post2before : 1
                     dpre/dt = -pre/tau_pre : 1 (event-driven)
                     dpost1/dt = -post1/tau_post1 : 1 (event-driven)
                     dpost2/dt = -post2/tau_post2 : 1 (event-driven)""",
            on_pre="ge_post += w; pre = 1.; w = clip(w - nu_pre * post1, 0, wmax)",
            on_post=post_code, namespace=ns, name="xe")
    else:
        syn = Synapses(source, exc, model="w : 1", on_pre="ge_post += w", namespace=ns,
                       name="xe")
    syn.connect()  # all-to-all, synapse k = i*n + j (input-major, like hardy)
    ei = Synapses(exc, inh, on_pre="ge_post += w_ei", namespace=ns, name="ei")
    ei.connect(j="i")
    ie = Synapses(inh, exc, on_pre="gi_post += w_ie", namespace=ns, name="ie")
    ie.connect(condition="i != j")
    return [exc, inh, syn, ei, ie], exc, inh, syn


def normalise(w_flat, n, target):
    """Column normalisation of an input-major 784×n weight vector (float64)."""
    w = np.asarray(w_flat, dtype=np.float64).reshape(-1, n)
    sums = w.sum(axis=0)
    factors = np.where(sums > 0, target / np.where(sums > 0, sums, 1), 1.0)
    return (w * factors).reshape(-1)
