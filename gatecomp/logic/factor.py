"""Truth table -> factored AND/INV structure: ISOP plus algebraic factoring (ABC ``Kit_``/``Dec_``).

``refactor`` collapses a cone of up to ~12 leaves into a truth table and needs a small AIG for
it. This module computes one the way ABC's ``Kit_TruthToGraph`` does:

1. an irredundant sum of products of ``f`` and of ``~f`` (Minato-Morreale ISOP on truth tables,
   ``Kit_TruthIsop``); the cover with fewer cubes (then fewer literals) is kept;
2. the cover is factored algebraically (``Kit_SopFactor``, Brayton's "good factor"): divide by a
   level-0 kernel, make the quotient cube-free, divide again; covers without a useful divisor
   become a balanced OR of balanced ANDs;
3. the factored form is emitted as ANDs in *local literals* (``dag_edit``: 0/1 constants,
   ``2 + 2*i (+1)`` leaf ``i``, ``2 + 2*nvars + 2*k (+1)`` AND ``k``), hashed within the
   structure so that a repeated sub-expression is built once.

Truth tables are ``uint64`` words: variable ``i < 6`` is the bit pattern ``VAR_TT[i]`` inside a
word, variable ``i >= 6`` selects words (word ``w`` has ``x_i = (w >> (i - 6)) & 1``); a
function of fewer than six variables fills its one word periodically. Cubes are bit masks with
bit ``2*v`` for the literal ``~x_v`` and bit ``2*v + 1`` for ``x_v`` (Kit's layout).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..aig.kernels import and_fold
from .truth_tables import VAR_TT

ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
MAX_VARS = 16  # cube masks hold 2 bits per variable in an int64; tables grow as 2**nvars
_POOL = 1 << 14  # cubes of the factoring stack's covers
_FRAMES = 256


def num_words(nvars: int) -> int:
    """Words of a ``nvars``-variable truth table."""
    return 1 << max(0, nvars - 6)


@njit(cache=True)
def var_table(i, nw):
    """Truth table of variable ``i`` over ``nw`` words."""
    t = np.empty(nw, dtype=np.uint64)
    for w in range(nw):
        if i < 6:
            t[w] = VAR_TT[i]
        else:
            t[w] = ALL if (w >> (i - 6)) & 1 else np.uint64(0)
    return t


# -- ISOP ----------------------------------------------------------------------------------------

@njit(cache=True, inline="always")
def _depends6(t, v):
    s = np.uint64(1 << v)
    m = ~VAR_TT[v]
    return ((t & m) ^ ((t >> s) & m)) != np.uint64(0)


@njit(cache=True, inline="always")
def _cof0(t, v):
    x = t & ~VAR_TT[v]
    return x | (x << np.uint64(1 << v))


@njit(cache=True, inline="always")
def _cof1(t, v):
    x = t & VAR_TT[v]
    return x | (x >> np.uint64(1 << v))


@njit(cache=True)
def is_const(t, nw, value):
    """Whether the table ``t[:nw]`` is ``value`` in every word."""
    same = True
    for w in range(nw):
        if t[w] != value:
            same = False
            break
    return same


@njit(cache=True)
def _top_var(lo, up, nw, nv):
    """Highest variable ``< nv`` that ``lo`` or ``up`` depends on (vacuous ones skipped)."""
    while nv > 6:
        h = nw // 2
        for w in range(h):
            if lo[w] != lo[h + w] or up[w] != up[h + w]:
                return nv - 1
        nv -= 1
        nw = h
    v = nv - 1
    while v > 0 and not (_depends6(lo[0], v) or _depends6(up[0], v)):
        v -= 1
    return v


def workspace(max_vars: int, max_cubes: int) -> tuple:
    """Scratch arrays of :func:`isop` and :func:`factor_cover` (allocated once per sweep)."""
    depth = max_vars + 2
    nw = num_words(max_vars)
    tables = tuple(np.zeros((depth, nw), dtype=np.uint64) for _ in range(5))
    frames = tuple(np.zeros(depth, dtype=np.int64) for _ in range(4))
    cubes = (np.zeros(max_cubes, dtype=np.int64), np.zeros(max_cubes, dtype=np.int64))
    stack = tuple(np.zeros(_FRAMES, dtype=np.int64) for _ in range(5))
    return (*tables, *frames, *cubes, np.zeros(max(_POOL, 8 * max_cubes), dtype=np.int64),
            *stack, np.zeros((_FRAMES, 3, 2), dtype=np.int64),
            np.zeros((_FRAMES, 3), dtype=np.int64))


@njit(cache=True)
def isop(tt, nv, ws, cubes):
    """Irredundant SOP of the function ``tt`` (``nv`` variables) into ``cubes``: the number of
    cubes, or -1 when it needs more than ``len(cubes)``. ``ws``: :func:`workspace`.

    Minato-Morreale on the interval ``[lo, up]`` with an explicit stack (no recursion, which
    numba's cache handles badly): a frame splits on its top variable ``v`` into the three
    intervals ``[lo0 & ~up1, up0]``, ``[lo1 & ~up0, up1]`` and ``[(lo0 & ~r0) | (lo1 & ~r1),
    up0 & up1]``; the first two's cubes get ``~x_v`` and ``x_v``.
    """
    # per frame: interval, result, the first two children's results, variables of the
    # frame's tables, split variable, phase, cube count when the current child started
    lo, up, res, r0, r1, fnv, fv, phase, mark = ws[:9]
    max_cubes = len(cubes)
    cnt = 0
    lo[0, :len(tt)] = tt
    up[0, :len(tt)] = tt
    fnv[0] = nv
    phase[0] = 0
    sp = 1
    while sp > 0:
        d = sp - 1
        fw = 1 << max(0, fnv[d] - 6)
        if phase[d] == 0:
            done = True
            if is_const(lo[d], fw, np.uint64(0)):
                res[d, :fw] = 0
            elif is_const(up[d], fw, ALL):
                if cnt < max_cubes:
                    cubes[cnt] = 0
                cnt += 1
                res[d, :fw] = ALL
            elif cnt > max_cubes:
                res[d, :fw] = lo[d, :fw]  # overflow: unwind
            else:
                done = False
            if done:
                sp -= 1
                continue
            v = _top_var(lo[d], up[d], fw, fnv[d])
            fv[d] = v
            cw = 1 << max(0, v - 6)  # words of the children
            if v >= 6:  # halves of the (vacuous-free prefix of the) table
                for w in range(cw):
                    lo[d + 1, w] = lo[d, w] & ~up[d, cw + w]
                    up[d + 1, w] = up[d, w]
            else:
                lo[d + 1, 0] = _cof0(lo[d, 0], v) & ~_cof1(up[d, 0], v)
                up[d + 1, 0] = _cof0(up[d, 0], v)
            phase[d] = 1
        elif phase[d] == 1:
            v = fv[d]
            cw = 1 << max(0, v - 6)
            _copy_rep(res[d + 1], 1 << max(0, fnv[d + 1] - 6), r0[d], cw)
            for k in range(mark[d], min(cnt, max_cubes)):
                cubes[k] |= 1 << (2 * v)
            if v >= 6:
                for w in range(cw):
                    lo[d + 1, w] = lo[d, cw + w] & ~up[d, w]
                    up[d + 1, w] = up[d, cw + w]
            else:
                lo[d + 1, 0] = _cof1(lo[d, 0], v) & ~_cof0(up[d, 0], v)
                up[d + 1, 0] = _cof1(up[d, 0], v)
            phase[d] = 2
        elif phase[d] == 2:
            v = fv[d]
            cw = 1 << max(0, v - 6)
            _copy_rep(res[d + 1], 1 << max(0, fnv[d + 1] - 6), r1[d], cw)
            for k in range(mark[d], min(cnt, max_cubes)):
                cubes[k] |= 1 << (2 * v + 1)
            if v >= 6:
                for w in range(cw):
                    lo[d + 1, w] = ((lo[d, w] & ~r0[d, w]) | (lo[d, cw + w] & ~r1[d, w]))
                    up[d + 1, w] = up[d, w] & up[d, cw + w]
            else:
                lo[d + 1, 0] = ((_cof0(lo[d, 0], v) & ~r0[d, 0])
                                | (_cof1(lo[d, 0], v) & ~r1[d, 0]))
                up[d + 1, 0] = _cof0(up[d, 0], v) & _cof1(up[d, 0], v)
            phase[d] = 3
        else:
            v = fv[d]
            cw = 1 << max(0, v - 6)
            r2 = np.empty(cw, dtype=np.uint64)
            _copy_rep(res[d + 1], 1 << max(0, fnv[d + 1] - 6), r2, cw)
            if v >= 6:
                for w in range(cw):
                    res[d, w] = r0[d, w] | r2[w]
                    res[d, cw + w] = r1[d, w] | r2[w]
                _copy_rep(res[d].copy(), 2 * cw, res[d], fw)
            else:
                res[d, 0] = (r0[d, 0] & ~VAR_TT[v]) | (r1[d, 0] & VAR_TT[v]) | r2[0]
                for w in range(1, fw):
                    res[d, w] = res[d, 0]
            sp -= 1
            continue
        # start the child frame d + 1 over the split variable's cofactor space
        phase[d + 1] = 0
        fnv[d + 1] = fv[d]
        mark[d] = cnt
        sp += 1
    return cnt if cnt <= max_cubes else -1


@njit(cache=True)
def _copy_rep(src, nsrc, dst, ndst):
    """``dst[:ndst]`` = ``src[:nsrc]`` repeated (tables widen by repeating: vacuous variables)."""
    for w in range(ndst):
        dst[w] = src[w % nsrc]


@njit(cache=True)
def _lits(cubes):
    n = 0
    for c in cubes:
        x = c
        while x:
            x &= x - 1
            n += 1
    return n


# -- algebraic factoring -------------------------------------------------------------------------

@njit(cache=True)
def _gand(a, b, fan, gn, node0):
    """Local literal of ``a & b``: folded, an existing structure node, or a new one."""
    a, b, folded = and_fold(a, b)
    if folded >= 0:
        return folded
    for k in range(gn[0]):
        if fan[k, 0] == a and fan[k, 1] == b:
            return node0 + 2 * k
    k = gn[0]
    if k >= len(fan):
        gn[1] = 1  # overflow: the caller discards the structure
        return 0
    fan[k, 0] = a
    fan[k, 1] = b
    gn[0] = k + 1
    return node0 + 2 * k


@njit(cache=True)
def _gor(a, b, fan, gn, node0):
    return _gand(a ^ 1, b ^ 1, fan, gn, node0) ^ 1


@njit(cache=True, inline="always")
def _leaf(i):
    """Local literal of cube literal ``i`` (bit ``2v``: ``~x_v``; bit ``2v + 1``: ``x_v``)."""
    return 2 + 2 * (i >> 1) + (1 - (i & 1))


@njit(cache=True)
def _count(cov, i):
    n = 0
    for c in cov:
        if (c >> i) & 1:
            n += 1
    return n


@njit(cache=True)
def _common(cov):
    m = -1
    for c in cov:
        m &= c
    return m if len(cov) > 0 else 0


@njit(cache=True)
def _worst_literal(cov, nlits):
    """The literal in the fewest cubes among those in at least two (-1: none)."""
    best = -1
    best_n = 1 << 30
    for i in range(nlits):
        n = _count(cov, i)
        if 2 <= n < best_n:
            best_n = n
            best = i
    return best


@njit(cache=True)
def _best_literal(cov, nlits, mask):
    """The literal of ``mask`` in the most cubes (at least two; -1: none)."""
    best = -1
    best_n = 1
    for i in range(nlits):
        if (mask >> i) & 1:
            n = _count(cov, i)
            if n > best_n:
                best_n = n
                best = i
    return best


@njit(cache=True)
def _divide_by_cube(cov, d):
    quo = np.empty(len(cov), dtype=np.int64)
    rem = np.empty(len(cov), dtype=np.int64)
    nq = 0
    nr = 0
    for c in cov:
        if (c & d) == d:
            quo[nq] = c & ~d
            nq += 1
        else:
            rem[nr] = c
            nr += 1
    return quo[:nq], rem[:nr]


@njit(cache=True)
def _divide(cov, div):
    """Algebraic division ``cov = quo * div + rem`` (``Kit_SopDivideInternal``)."""
    if len(div) == 1:
        return _divide_by_cube(cov, div[0])
    n = len(cov)
    taken = np.zeros(n, dtype=np.bool_)
    quo = np.empty(n, dtype=np.int64)
    nq = 0
    for i in range(n):
        if taken[i]:
            continue
        c = cov[i]
        k0 = -1
        for k in range(len(div)):
            if (c & div[k]) == div[k]:
                k0 = k
                break
        if k0 < 0:
            continue
        q = c & ~div[k0]
        ok = True
        for k in range(len(div)):
            if k == k0:
                continue
            found = False
            for i2 in range(n):
                c2 = cov[i2]
                if not taken[i2] and (c2 & div[k]) == div[k] and (c2 & ~div[k]) == q:
                    found = True
                    break
            if not found:
                ok = False
                break
        if not ok:
            continue
        quo[nq] = q
        nq += 1
        taken[i] = True
        for k in range(len(div)):
            if k == k0:
                continue
            for i2 in range(n):
                c2 = cov[i2]
                if not taken[i2] and (c2 & div[k]) == div[k] and (c2 & ~div[k]) == q:
                    taken[i2] = True
                    break
    rem = np.empty(n, dtype=np.int64)
    nr = 0
    for i in range(n):
        if not taken[i]:
            rem[nr] = cov[i]
            nr += 1
    return quo[:nq], rem[:nr]


@njit(cache=True)
def _cube_free(cov):
    com = _common(cov)
    out = cov.copy()
    for i in range(len(out)):
        out[i] &= ~com
    return out


@njit(cache=True)
def _divisor(cov, nlits):
    """A level-0 kernel of ``cov`` (``Kit_SopDivisor``), or an empty array."""
    if len(cov) <= 1:
        return cov[:0]
    anyl = False
    for i in range(nlits):
        if _count(cov, i) >= 2:
            anyl = True
            break
    if not anyl:
        return cov[:0]
    ker = cov.copy()
    while True:
        i = _worst_literal(ker, nlits)
        if i < 0:
            return ker
        quo, _ = _divide_by_cube(ker, 1 << i)
        ker = _cube_free(quo)


@njit(cache=True)
def _balanced(lits, m, is_or, fan, gn, node0):
    """Balanced AND (OR) of ``lits[:m]`` (pairs combined level by level; ``lits`` is scratch)."""
    if m == 0:
        return 0 if is_or else 1
    while m > 1:
        h = m // 2
        for j in range(h):
            if is_or:
                lits[j] = _gor(lits[2 * j], lits[2 * j + 1], fan, gn, node0)
            else:
                lits[j] = _gand(lits[2 * j], lits[2 * j + 1], fan, gn, node0)
        if m & 1:
            lits[h] = lits[m - 1]
            h += 1
        m = h
    return lits[0]


@njit(cache=True)
def _trivial(cov, nlits, fan, gn, node0):
    """Balanced OR of balanced ANDs (``Kit_SopFactorTrivial``)."""
    terms = np.empty(len(cov), dtype=np.int64)
    lits = np.empty(nlits, dtype=np.int64)
    for k in range(len(cov)):
        m = 0
        for i in range(nlits):
            if (cov[k] >> i) & 1:
                lits[m] = _leaf(i)
                m += 1
        terms[k] = _balanced(lits, m, False, fan, gn, node0)
    return _balanced(terms, len(cov), True, fan, gn, node0)


@njit(cache=True)
def factor_cover(cov, nv, fan, gn, ws):
    """Local literal of the factored cover ``cov`` over ``nv`` variables (``Kit_SopFactor``);
    ANDs go to ``fan`` (``gn[0]`` counts them; ``gn[1]`` is set on overflow).

    Every frame of the explicit stack (no recursion: see :func:`isop`) writes its cover as
    ``(X & Y) | Z``: ``X`` a level-0 kernel and ``Y`` the cube-free quotient, or ``X`` a
    literal (``Y`` then the quotient by it), ``Z`` the remainder; covers without a divisor are
    built directly (:func:`_trivial`). Sub-covers live in a stack-shaped pool of cubes.
    """
    if len(cov) == 0:
        return 0
    for c in cov:
        if c == 0:
            return 1
    node0 = 2 + 2 * nv
    nlits = 2 * nv
    # per frame: own cover (base, size), pool top, phase, the result slot in the parent,
    # sub-covers X/Y/Z (offset, size) and results of X/Y/Z
    pool, base, size, top, phase, dest, sub, got = ws[11:]
    if len(cov) > len(pool):
        gn[1] = 1
        return 0
    pool[:len(cov)] = cov
    base[0] = 0
    size[0] = len(cov)
    top[0] = len(cov)
    phase[0] = 0
    sp = 1
    result = 0
    while sp > 0:
        d = sp - 1
        if gn[1]:
            return 0
        r = -1
        if phase[d] == 0:
            c = pool[base[d]:base[d] + size[d]]
            x = np.empty(0, dtype=np.int64)
            y = np.empty(0, dtype=np.int64)
            z = np.empty(0, dtype=np.int64)
            xl = -1
            cube = -1
            div = _divisor(c, nlits)
            if len(div) > 0:
                quo, rem = _divide(c, div)
                if len(quo) == 1:
                    cube = quo[0]
                elif len(quo) > 1:
                    quo = _cube_free(quo)
                    div, rem = _divide(c, quo)
                    com = _common(div)
                    if com == 0:
                        x, y, z = div, quo, rem
                    else:
                        cube = com
            if cube >= 0:
                i = _best_literal(c, nlits, cube)
                if i >= 0:
                    y, z = _divide_by_cube(c, 1 << i)
                    xl = _leaf(i)
            if len(y) == 0 or (xl < 0 and len(x) == 0):
                r = _trivial(c, nlits, fan, gn, node0)
            else:
                t = top[d]
                if t + len(x) + len(y) + len(z) > len(pool) or d + 1 >= _FRAMES:
                    gn[1] = 1
                    return 0
                for j, part in enumerate((x, y, z)):
                    sub[d, j, 0] = t
                    sub[d, j, 1] = len(part)
                    pool[t:t + len(part)] = part
                    t += len(part)
                top[d] = t
                got[d, 0] = xl
                phase[d] = 1 if xl < 0 else 2
        elif phase[d] <= 3:
            j = phase[d] - 1
            phase[d] += 1
            if sub[d, j, 1] == 0:  # no remainder
                got[d, j] = -1
                continue
            base[d + 1] = sub[d, j, 0]
            size[d + 1] = sub[d, j, 1]
            top[d + 1] = top[d]
            phase[d + 1] = 0
            dest[d + 1] = j
            sp += 1
            continue
        else:
            r = _gand(got[d, 0], got[d, 1], fan, gn, node0)
            if got[d, 2] >= 0:
                r = _gor(r, got[d, 2], fan, gn, node0)
        if r >= 0:  # the frame is done
            sp -= 1
            if sp == 0:
                result = r
            else:
                got[sp - 1, dest[d]] = r
    return result


@njit(cache=True)
def factor_truth(tt, nv, fan, gn, ws):
    """Factored structure of the function ``tt``: ISOP of ``tt`` and ``~tt`` (the one with
    fewer cubes, then literals), factored. Returns the root local literal, or -1 when both
    covers need more cubes than the workspace ``ws`` holds or the structure does not fit in
    ``fan``."""
    gn[0] = 0
    gn[1] = 0
    n1 = isop(tt, nv, ws, ws[9])
    n0 = isop(~tt, nv, ws, ws[10])
    if n1 < 0 and n0 < 0:
        return -1
    pos = ws[9][:max(n1, 0)]
    neg = ws[10][:max(n0, 0)]
    use_neg = n1 < 0 or (n0 >= 0 and (n0 < n1 or (n0 == n1 and _lits(neg) < _lits(pos))))
    root = (factor_cover(neg, nv, fan, gn, ws) ^ 1 if use_neg
            else factor_cover(pos, nv, fan, gn, ws))
    if gn[1]:
        return -1
    return root


@njit(cache=True)
def trivial_literal(tt, nv):
    """Local literal of ``tt`` when it is a constant or a (complemented) variable, else -1."""
    nw = len(tt)
    if is_const(tt, nw, np.uint64(0)):
        return 0
    if is_const(tt, nw, ALL):
        return 1
    for i in range(nv):
        t = var_table(i, nw)
        same = True
        comp = True
        for w in range(nw):
            if tt[w] != t[w]:
                same = False
            if tt[w] != ~t[w]:
                comp = False
        if same:
            return 2 + 2 * i
        if comp:
            return 3 + 2 * i
    return -1


@njit(cache=True)
def struct_truth(fan, nst, root, nv):
    """Truth table of a local structure (``nv`` leaves, ``nst`` ANDs) at literal ``root``."""
    nw = 1 << max(0, nv - 6)
    node0 = 2 + 2 * nv
    tabs = np.zeros((1 + nv + nst, nw), dtype=np.uint64)
    for i in range(nv):
        tabs[1 + i] = var_table(i, nw)
    for k in range(nst):
        a = fan[k, 0]
        b = fan[k, 1]
        ta = tabs[a >> 1] ^ (ALL if a & 1 else np.uint64(0))
        tb = tabs[b >> 1] ^ (ALL if b & 1 else np.uint64(0))
        tabs[node0 // 2 + k] = ta & tb
    return tabs[root >> 1] ^ (ALL if root & 1 else np.uint64(0))
