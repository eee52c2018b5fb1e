//! Exact region enumeration for string predicates. Every predicate a policy can put on a string
//! — `StringEquals c`, `StringEqualsIgnoreCase c`, `StringLike g` and the Action/Resource globs —
//! is a regular language. The predicates of one dimension are run together as a product
//! automaton over the characters that matter (every character of a constant, every character
//! whose case fold is made of such characters, plus one "any other character"); a breadth-first
//! walk of the reachable product states yields, for every achievable vector of predicate
//! answers, the shortest string that produces it. Strings with the same vector are decided
//! alike by every statement, so these representatives cover the whole (infinite) space.

use super::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::VecDeque;
use std::sync::OnceLock;

/// One string predicate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StrPred {
    /// Case-sensitive equality.
    Equals(String),
    /// Equality after simple case folding (the constant is folded when compiled).
    IgnoreCase(String),
    /// Whole-string wildcard match (`*` any run, `?` one character), case-sensitive.
    Like(String),
    /// Equal to one of these strings (one trie instead of many equality machines).
    OneOf(Vec<String>),
}

/// Case folding used by the `…IgnoreCase` operators (per character, final sigma folded).
pub fn fold_char(c: char) -> impl Iterator<Item = char> {
    c.to_lowercase().map(|x| if x == 'ς' { 'σ' } else { x })
}

/// Folds a whole string as [`fold_char`] does.
pub fn fold_str(s: &str) -> String {
    s.chars().flat_map(fold_char).collect()
}

/// Characters whose fold is not themselves, with their fold (computed once).
fn nontrivial_folds() -> &'static [(char, String)] {
    static TABLE: OnceLock<Vec<(char, String)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut v = Vec::new();
        for u in 0..=0x10FFFFu32 {
            if let Some(c) = char::from_u32(u) {
                let f: String = fold_char(c).collect();
                if f.chars().count() != 1 || !f.starts_with(c) {
                    v.push((c, f));
                }
            }
        }
        v
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Star,
    One,
    Lit(char),
}

/// A compiled predicate.
#[derive(Debug, Clone)]
enum Machine {
    /// Characters to match exactly (Equals) or folded characters (IgnoreCase).
    Seq { chars: Vec<char>, fold: bool },
    /// Glob tokens.
    Glob(Vec<Tok>),
    /// A trie: `(children by character, terminal)` per node, node 0 the root.
    Trie(Vec<(Vec<(char, u32)>, bool)>),
}

fn trie(words: &[String]) -> Machine {
    let mut nodes: Vec<(Vec<(char, u32)>, bool)> = vec![(Vec::new(), false)];
    for w in words {
        let mut cur = 0usize;
        for ch in w.chars() {
            let next = nodes[cur].0.iter().find(|(c, _)| *c == ch).map(|(_, n)| *n);
            cur = match next {
                Some(n) => n as usize,
                None => {
                    nodes.push((Vec::new(), false));
                    let n = nodes.len() - 1;
                    nodes[cur].0.push((ch, n as u32));
                    n
                }
            };
        }
        nodes[cur].1 = true;
    }
    Machine::Trie(nodes)
}

const DEAD: u32 = u32::MAX;

/// Outcome of [`representatives`].
#[derive(Debug, Clone)]
pub struct Regions {
    /// One shortest string per achievable answer vector (answers in predicate order).
    pub cells: Vec<(Vec<bool>, String)>,
    /// False when the state budget ran out before the walk finished (answers may be missing).
    pub complete: bool,
    /// Product states visited.
    pub states: usize,
}

/// Candidate "other" characters, most readable first.
const OTHER: &[char] = &[
    'x', 'z', 'q', 'j', 'k', 'w', 'y', 'v', '0', '7', '_', '#', '~', '%', '§', '¤', 'ж', '中',
];

/// Interns glob state sets per predicate.
#[derive(Default)]
struct Interner {
    ids: HashMap<Vec<u32>, u32>,
    sets: Vec<Vec<u32>>,
}

impl Interner {
    fn id(&mut self, set: Vec<u32>) -> u32 {
        if let Some(&i) = self.ids.get(&set) {
            return i;
        }
        let i = self.sets.len() as u32;
        self.sets.push(set.clone());
        self.ids.insert(set, i);
        i
    }
}

fn closure(toks: &[Tok], set: &mut Vec<u32>) {
    // Positions only move forward, so one pass over the sorted set adds every star's successor.
    set.sort_unstable();
    set.dedup();
    let mut out: Vec<u32> = Vec::with_capacity(set.len() + 2);
    for &p in set.iter() {
        let mut q = p;
        loop {
            if out.last().is_none_or(|&l| l < q) {
                out.push(q);
            } else if out.last() == Some(&q) {
                // already there
            } else {
                out.push(q);
            }
            if toks.get(q as usize) == Some(&Tok::Star) {
                q += 1;
            } else {
                break;
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    *set = out;
}

/// Enumerates one representative string per achievable answer vector of `preds`. Only
/// strings for which `domain` predicates (appended after `preds`, all required true) hold are
/// kept; their answers are not part of the reported vectors. `budget` caps visited states.
pub fn representatives(preds: &[StrPred], domain: &[StrPred], budget: usize) -> Regions {
    walk(preds, domain, budget, None)
}

/// [`representatives`], stopping as soon as the answer vector `want` is found.
pub fn representatives_until(
    preds: &[StrPred],
    domain: &[StrPred],
    budget: usize,
    want: &[bool],
) -> Regions {
    walk(preds, domain, budget, Some(want))
}

type MemoKey = (Vec<StrPred>, Vec<StrPred>, usize, Option<Vec<bool>>);

thread_local! {
    /// Walks already done (the same pattern sets recur: every statement of `redundant`, every
    /// principal of a world, every action with the same resource shapes).
    static MEMO: std::cell::RefCell<HashMap<MemoKey, Regions>> =
        std::cell::RefCell::new(HashMap::default());
}

/// Walks kept per thread.
const MEMO_LIMIT: usize = 4_096;

fn walk(preds: &[StrPred], domain: &[StrPred], budget: usize, want: Option<&[bool]>) -> Regions {
    let key: MemoKey = (
        preds.to_vec(),
        domain.to_vec(),
        budget,
        want.map(<[bool]>::to_vec),
    );
    if let Some(hit) = MEMO.with(|m| m.borrow().get(&key).cloned()) {
        return hit;
    }
    let r = walk_uncached(preds, domain, budget, want);
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MEMO_LIMIT {
            m.clear();
        }
        m.insert(key, r.clone());
    });
    r
}

fn walk_uncached(
    preds: &[StrPred],
    domain: &[StrPred],
    budget: usize,
    want: Option<&[bool]>,
) -> Regions {
    let all: Vec<&StrPred> = preds.iter().chain(domain.iter()).collect();
    let machines = compile(&all);
    let alphabet = alphabet(&machines);
    let mut interners: Vec<Interner> = machines.iter().map(|_| Interner::default()).collect();
    let start: Vec<u32> = machines
        .iter()
        .zip(interners.iter_mut())
        .map(|(m, int)| match m {
            Machine::Seq { .. } | Machine::Trie(_) => 0,
            Machine::Glob(t) => {
                let mut s = vec![0];
                closure(t, &mut s);
                int.id(s)
            }
        })
        .collect();
    let accepts = |state: &[u32], interners: &[Interner]| -> Vec<bool> {
        machines
            .iter()
            .zip(state)
            .zip(interners)
            .map(|((m, &s), int)| match m {
                Machine::Seq { chars, .. } => s != DEAD && s as usize == chars.len(),
                Machine::Glob(t) => int.sets[s as usize].contains(&(t.len() as u32)),
                Machine::Trie(nodes) => s != DEAD && nodes[s as usize].1,
            })
            .collect()
    };
    let n = preds.len();
    let width = alphabet.len();
    let mut tables: Vec<Vec<u32>> = machines.iter().map(|_| Vec::new()).collect();
    let mut seen_vectors: HashSet<Vec<bool>> = HashSet::default();
    let mut cells = Vec::new();
    let mut visited: HashSet<Vec<u32>> = HashSet::default();
    let mut queue: VecDeque<(Vec<u32>, String)> = VecDeque::new();
    visited.insert(start.clone());
    queue.push_back((start, String::new()));
    let mut complete = true;
    while let Some((state, text)) = queue.pop_front() {
        let acc = accepts(&state, &interners);
        if acc[n..].iter().all(|&b| b) {
            let v = acc[..n].to_vec();
            if seen_vectors.insert(v.clone()) {
                let found = want == Some(v.as_slice());
                cells.push((v, text.clone()));
                if found {
                    break;
                }
            }
        }
        for (ai, &(ch, ref folded)) in alphabet.iter().enumerate() {
            let mut next = Vec::with_capacity(state.len());
            for (mi, ((m, &s), int)) in machines
                .iter()
                .zip(&state)
                .zip(interners.iter_mut())
                .enumerate()
            {
                // Glob transitions are computed once per (state, character) and tabled.
                if let Machine::Glob(_) = m {
                    let row = &mut tables[mi];
                    let idx = s as usize * width + ai;
                    if let Some(&t) = row.get(idx).filter(|&&t| t != DEAD) {
                        next.push(t);
                        continue;
                    }
                    let t = step(m, s, ch, folded, int);
                    if row.len() <= idx {
                        row.resize((s as usize + 1) * width, DEAD);
                    }
                    row[idx] = t;
                    next.push(t);
                } else {
                    next.push(step(m, s, ch, folded, int));
                }
            }
            if visited.len() >= budget {
                complete = false;
                break;
            }
            if visited.insert(next.clone()) {
                let mut t = text.clone();
                t.push(ch);
                queue.push_back((next, t));
            }
        }
        if !complete {
            break;
        }
    }
    Regions {
        cells,
        complete,
        states: visited.len(),
    }
}

fn step(m: &Machine, s: u32, ch: char, folded: &[char], int: &mut Interner) -> u32 {
    match m {
        Machine::Trie(nodes) => {
            if s == DEAD {
                return DEAD;
            }
            nodes[s as usize]
                .0
                .iter()
                .find(|(c, _)| *c == ch)
                .map_or(DEAD, |(_, n)| *n)
        }
        Machine::Seq { chars, fold } => {
            if s == DEAD {
                return DEAD;
            }
            let i = s as usize;
            if *fold {
                if chars.len() >= i + folded.len() && chars[i..i + folded.len()] == *folded {
                    (i + folded.len()) as u32
                } else {
                    DEAD
                }
            } else if chars.get(i) == Some(&ch) {
                s + 1
            } else {
                DEAD
            }
        }
        Machine::Glob(toks) => {
            if int.sets[s as usize].is_empty() {
                return s;
            }
            let cur = &int.sets[s as usize];
            let mut next: Vec<u32> = Vec::with_capacity(cur.len() + 1);
            for &p in cur {
                match toks.get(p as usize) {
                    Some(Tok::Star) => next.push(p),
                    Some(Tok::One) => next.push(p + 1),
                    Some(Tok::Lit(c)) if *c == ch => next.push(p + 1),
                    _ => {}
                }
            }
            closure(toks, &mut next);
            int.id(next)
        }
    }
}

/// The characters that matter, each with its fold, plus one character that matters to no
/// predicate (stands for every other character).
fn alphabet(machines: &[Machine]) -> Vec<(char, Vec<char>)> {
    let mut chars: Vec<char> = Vec::new();
    let mut seen: HashSet<char> = HashSet::default();
    let mut folded_chars: HashSet<char> = HashSet::default();
    for m in machines {
        match m {
            Machine::Seq { chars: cs, fold } => {
                for &c in cs {
                    if *fold {
                        folded_chars.insert(c);
                    }
                    if seen.insert(c) {
                        chars.push(c);
                    }
                }
            }
            Machine::Glob(t) => {
                for tok in t {
                    if let Tok::Lit(c) = tok {
                        if seen.insert(*c) {
                            chars.push(*c);
                        }
                    }
                }
            }
            Machine::Trie(nodes) => {
                for (children, _) in nodes {
                    for (c, _) in children {
                        if seen.insert(*c) {
                            chars.push(*c);
                        }
                    }
                }
            }
        }
    }
    if !folded_chars.is_empty() {
        for (c, f) in nontrivial_folds() {
            if f.chars().all(|x| folded_chars.contains(&x)) && seen.insert(*c) {
                chars.push(*c);
            }
        }
    }
    let other = OTHER
        .iter()
        .copied()
        .find(|c| !seen.contains(c) && fold_char(*c).all(|x| !folded_chars.contains(&x)))
        .or_else(|| {
            // Every readable candidate is taken: search the private-use area.
            (0xE000u32..0xF8FF)
                .filter_map(char::from_u32)
                .find(|c| !seen.contains(c))
        });
    if let Some(o) = other {
        chars.push(o);
    }
    chars
        .into_iter()
        .map(|c| (c, fold_char(c).collect()))
        .collect()
}

fn compile(preds: &[&StrPred]) -> Vec<Machine> {
    preds
        .iter()
        .map(|p| match p {
            StrPred::Equals(c) => Machine::Seq {
                chars: c.chars().collect(),
                fold: false,
            },
            StrPred::IgnoreCase(c) => Machine::Seq {
                chars: fold_str(c).chars().collect(),
                fold: true,
            },
            StrPred::Like(g) => Machine::Glob(
                g.chars()
                    .map(|c| match c {
                        '*' => Tok::Star,
                        '?' => Tok::One,
                        c => Tok::Lit(c),
                    })
                    .collect(),
            ),
            StrPred::OneOf(ws) => trie(ws),
        })
        .collect()
}

fn start_state(machines: &[Machine], interners: &mut [Interner]) -> Vec<u32> {
    machines
        .iter()
        .zip(interners.iter_mut())
        .map(|(m, int)| match m {
            Machine::Seq { .. } | Machine::Trie(_) => 0,
            Machine::Glob(t) => {
                let mut s = vec![0];
                closure(t, &mut s);
                int.id(s)
            }
        })
        .collect()
}

fn accepting(machines: &[Machine], state: &[u32], interners: &[Interner]) -> Vec<bool> {
    machines
        .iter()
        .zip(state)
        .zip(interners)
        .map(|((m, &s), int)| match m {
            Machine::Seq { chars, .. } => s != DEAD && s as usize == chars.len(),
            Machine::Glob(t) => int.sets[s as usize].contains(&(t.len() as u32)),
            Machine::Trie(nodes) => s != DEAD && nodes[s as usize].1,
        })
        .collect()
}

/// One constraint of [`find_member`]: the string matches at least one of `any` (when `matches`
/// is true) or none of them (when false).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Membership {
    /// The predicates (a union).
    pub any: Vec<StrPred>,
    /// Whether the string must be in the union.
    pub matches: bool,
}

/// Outcome of [`find_member`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// A (shortest) string meeting every constraint.
    Found(String),
    /// No string meets them all (proof: every reachable product state was visited).
    Empty,
    /// The state budget ran out before either was shown.
    Unknown,
}

fn universal(m: &Machine, s: u32, int: &Interner) -> bool {
    match m {
        Machine::Glob(t) => int.sets[s as usize]
            .iter()
            .any(|&p| (p as usize) < t.len() && t[p as usize..].iter().all(|x| *x == Tok::Star)),
        _ => false,
    }
}

fn dead(m: &Machine, s: u32, int: &Interner) -> bool {
    match m {
        Machine::Glob(_) => int.sets[s as usize].is_empty(),
        _ => s == DEAD,
    }
}

type MemberKey = (Vec<StrPred>, Vec<Membership>, usize);

thread_local! {
    /// Emptiness questions already answered (the search asks the same ones from many scopes).
    static MEMBER_MEMO: std::cell::RefCell<HashMap<MemberKey, Member>> =
        std::cell::RefCell::new(HashMap::default());
}

/// Is there a string in the union `domain` meeting every constraint of `constraints`? A
/// breadth-first walk of the product automaton that stops at the first string found and prunes
/// states from which no string can be accepted (a required union whose machines are all dead, a
/// forbidden one with a machine that accepts every continuation, a dead domain). `budget` caps
/// the states visited. Answers are memoized per thread.
pub fn find_member(domain: &[StrPred], constraints: &[Membership], budget: usize) -> Member {
    let key: MemberKey = (domain.to_vec(), constraints.to_vec(), budget);
    if let Some(hit) = MEMBER_MEMO.with(|m| m.borrow().get(&key).cloned()) {
        return hit;
    }
    let r = find_member_uncached(domain, constraints, budget);
    MEMBER_MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= 65_536 {
            m.clear();
        }
        m.insert(key, r.clone());
    });
    r
}

fn find_member_uncached(domain: &[StrPred], constraints: &[Membership], budget: usize) -> Member {
    // Machines: the domain's, then each constraint's; `groups[g]` is a range of machines.
    let mut all: Vec<&StrPred> = domain.iter().collect();
    let mut groups: Vec<(usize, usize, bool)> = Vec::new();
    for c in constraints {
        let start = all.len();
        all.extend(c.any.iter());
        groups.push((start, all.len(), c.matches));
    }
    let machines = compile(&all);
    let alphabet = alphabet(&machines);
    let mut interners: Vec<Interner> = machines.iter().map(|_| Interner::default()).collect();
    let start = start_state(&machines, &mut interners);
    let nd = domain.len();
    // Per machine: "accepts every continuation" per glob state, computed once (0: not yet).
    let mut univ: Vec<Vec<u8>> = machines.iter().map(|_| Vec::new()).collect();
    let mut doomed = |state: &[u32], ints: &[Interner]| -> bool {
        if nd > 0 && (0..nd).all(|i| dead(&machines[i], state[i], &ints[i])) {
            return true;
        }
        groups.iter().any(|&(a, b, want)| {
            if want {
                (a..b).all(|i| dead(&machines[i], state[i], &ints[i]))
            } else {
                (a..b).any(|i| {
                    let s = state[i] as usize;
                    let u = &mut univ[i];
                    if u.len() <= s {
                        u.resize(s + 1, 0);
                    }
                    if u[s] == 0 {
                        u[s] = 1 + u8::from(universal(&machines[i], state[i], &ints[i]));
                    }
                    u[s] == 2
                })
            }
        })
    };
    let accepted = |state: &[u32], ints: &[Interner]| -> bool {
        let acc = accepting(&machines, state, ints);
        (nd == 0 || acc[..nd].iter().any(|&b| b))
            && groups
                .iter()
                .all(|&(a, b, want)| acc[a..b].iter().any(|&x| x) == want)
    };
    if doomed(&start, &interners) {
        return Member::Empty;
    }
    let mut visited: HashSet<Vec<u32>> = HashSet::default();
    let mut queue: VecDeque<(Vec<u32>, String)> = VecDeque::new();
    visited.insert(start.clone());
    queue.push_back((start, String::new()));
    // Glob transitions, computed once per (state, character) as in the region walk.
    let width = alphabet.len();
    let mut tables: Vec<Vec<u32>> = machines.iter().map(|_| Vec::new()).collect();
    while let Some((state, text)) = queue.pop_front() {
        if accepted(&state, &interners) {
            return Member::Found(text);
        }
        for (ai, (ch, folded)) in alphabet.iter().enumerate() {
            let next: Vec<u32> = machines
                .iter()
                .zip(&state)
                .zip(interners.iter_mut())
                .zip(tables.iter_mut())
                .map(|(((m, &s), int), row)| {
                    if !matches!(m, Machine::Glob(_)) {
                        return step(m, s, *ch, folded, int);
                    }
                    let idx = s as usize * width + ai;
                    if let Some(&t) = row.get(idx).filter(|&&t| t != DEAD) {
                        return t;
                    }
                    let t = step(m, s, *ch, folded, int);
                    if row.len() <= idx {
                        row.resize((s as usize + 1) * width, DEAD);
                    }
                    row[idx] = t;
                    t
                })
                .collect();
            if doomed(&next, &interners) || visited.contains(&next) {
                continue;
            }
            if visited.len() >= budget {
                return Member::Unknown;
            }
            visited.insert(next.clone());
            let mut t = text.clone();
            t.push(*ch);
            queue.push_back((next, t));
        }
    }
    Member::Empty
}

/// Pairs `(head, whole)` where `whole = head + sep + tail`, `head` non-empty and free of `sep`:
/// one pair per achievable combination of the answers of `head_preds` on `head` and of
/// `whole_preds` on `whole` (how an RD path starts with its directory id). `complete` is false
/// when the budget ran out.
pub fn prefix_pairs(
    head_preds: &[StrPred],
    whole_preds: &[StrPred],
    sep: char,
    budget: usize,
) -> (Vec<(String, String)>, bool) {
    let hp: Vec<&StrPred> = head_preds.iter().collect();
    let wp: Vec<&StrPred> = whole_preds.iter().collect();
    let (hm, wm) = (compile(&hp), compile(&wp));
    let mut all_m: Vec<Machine> = hm.clone();
    all_m.extend(wm.iter().cloned());
    all_m.push(Machine::Seq {
        chars: vec![sep],
        fold: false,
    });
    let alphabet = alphabet(&all_m);
    let mut hi: Vec<Interner> = hm.iter().map(|_| Interner::default()).collect();
    let mut wi: Vec<Interner> = wm.iter().map(|_| Interner::default()).collect();
    let hs = start_state(&hm, &mut hi);
    let ws = start_state(&wm, &mut wi);
    // Phase 1: reading the head (head and whole machines advance together).
    let mut seen1: HashSet<(Vec<u32>, Vec<u32>, bool)> = HashSet::default();
    let mut q1: VecDeque<(Vec<u32>, Vec<u32>, String)> = VecDeque::new();
    seen1.insert((hs.clone(), ws.clone(), false));
    q1.push_back((hs, ws, String::new()));
    // Phase 2 starts: (head answers, whole state).
    let mut seen2: HashSet<(Vec<bool>, Vec<u32>)> = HashSet::default();
    let mut q2: VecDeque<(Vec<bool>, Vec<u32>, String, String)> = VecDeque::new();
    let mut complete = true;
    while let Some((h, w, text)) = q1.pop_front() {
        for (ch, folded) in &alphabet {
            if seen1.len() + seen2.len() >= budget {
                complete = false;
                break;
            }
            let w2: Vec<u32> = wm
                .iter()
                .zip(&w)
                .zip(wi.iter_mut())
                .map(|((m, &s), int)| step(m, s, *ch, folded, int))
                .collect();
            if *ch == sep {
                if text.is_empty() {
                    continue;
                }
                let ha = accepting(&hm, &h, &hi);
                if seen2.insert((ha.clone(), w2.clone())) {
                    let mut whole = text.clone();
                    whole.push(sep);
                    q2.push_back((ha, w2, text.clone(), whole));
                }
                continue;
            }
            let h2: Vec<u32> = hm
                .iter()
                .zip(&h)
                .zip(hi.iter_mut())
                .map(|((m, &s), int)| step(m, s, *ch, folded, int))
                .collect();
            if seen1.insert((h2.clone(), w2.clone(), true)) {
                let mut t = text.clone();
                t.push(*ch);
                q1.push_back((h2, w2, t));
            }
        }
    }
    // Phase 2: reading the tail (whole machines only).
    let mut answers: HashSet<(Vec<bool>, Vec<bool>)> = HashSet::default();
    let mut out = Vec::new();
    while let Some((ha, w, head, whole)) = q2.pop_front() {
        let wa = accepting(&wm, &w, &wi);
        if answers.insert((ha.clone(), wa)) {
            out.push((head.clone(), whole.clone()));
        }
        for (ch, folded) in &alphabet {
            if seen1.len() + seen2.len() >= budget {
                complete = false;
                break;
            }
            let w2: Vec<u32> = wm
                .iter()
                .zip(&w)
                .zip(wi.iter_mut())
                .map(|((m, &s), int)| step(m, s, *ch, folded, int))
                .collect();
            if seen2.insert((ha.clone(), w2.clone())) {
                let mut t = whole.clone();
                t.push(*ch);
                q2.push_back((ha.clone(), w2, head.clone(), t));
            }
        }
    }
    (out, complete)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::pattern::glob;

    fn check_cover(preds: &[StrPred], samples: &[&str]) {
        let r = representatives(preds, &[], 100_000);
        assert!(r.complete);
        let eval = |s: &str| -> Vec<bool> {
            preds
                .iter()
                .map(|p| match p {
                    StrPred::Equals(c) => c == s,
                    StrPred::IgnoreCase(c) => fold_str(c) == fold_str(s),
                    StrPred::Like(g) => glob(g, s),
                    StrPred::OneOf(ws) => ws.iter().any(|w| w == s),
                })
                .collect()
        };
        for (v, w) in &r.cells {
            assert_eq!(&eval(w), v, "witness {w:?}");
        }
        for s in samples {
            let v = eval(s);
            assert!(
                r.cells.iter().any(|(c, _)| *c == v),
                "{s:?} has vector {v:?} not found in {:?}",
                r.cells
            );
        }
    }

    #[test]
    fn globs_and_constants() {
        let preds = vec![
            StrPred::Like("rd-x/r-1/fd-prod/*".into()),
            StrPred::Like("rd-x/*".into()),
            StrPred::Equals("rd-x/r-1/fd-prod/".into()),
            StrPred::IgnoreCase("RD-X".into()),
        ];
        check_cover(
            &preds,
            &[
                "",
                "rd-x",
                "RD-x",
                "rd-x/",
                "rd-x/r-1/fd-prod/",
                "rd-x/r-1/fd-prod/1",
                "rd-y/r-1/fd-prod/1",
            ],
        );
    }

    #[test]
    fn question_marks_and_middle_stars() {
        let preds = vec![
            StrPred::Like("a?c*".into()),
            StrPred::Like("*b*c".into()),
            StrPred::Like("ab*".into()),
        ];
        check_cover(&preds, &["abc", "abbc", "axc", "ab", "bc", "xbyc", "abcc"]);
    }

    #[test]
    fn domain_restricts() {
        let r = representatives(
            &[StrPred::Like("ecs:*".into())],
            &[StrPred::Like("?*:?*".into())],
            10_000,
        );
        assert!(r.cells.iter().all(|(_, w)| glob("?*:?*", w)));
        assert_eq!(r.cells.len(), 2);
    }

    #[test]
    fn case_folding_alphabet_includes_other_cases() {
        let preds = vec![StrPred::IgnoreCase("k".into()), StrPred::Equals("k".into())];
        let r = representatives(&preds, &[], 1000);
        // "K" (and the Kelvin sign) satisfy the first only.
        assert!(r.cells.iter().any(|(v, _)| v == &vec![true, false]));
    }
}
