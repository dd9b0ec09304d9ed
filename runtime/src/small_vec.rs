//! `SmallVec`: up to `N` items inline, more on the heap. A `select!` has a
//! handful of arms and is built anew each time it runs (as Go's `select`
//! statement is), so its few lists should not cost a `malloc` and a `free`
//! each time. Safe code: the inline part is an array of `Option`s.

#[derive(Clone)]
pub(crate) struct SmallVec<T: Copy, const N: usize> {
    inline: [Option<T>; N],
    /// Used instead of `inline` once more than `N` items were pushed.
    spill: Vec<T>,
    len: usize,
}

impl<T: Copy, const N: usize> SmallVec<T, N> {
    pub(crate) const fn new() -> Self {
        SmallVec { inline: [None; N], spill: Vec::new(), len: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn spilled(&self) -> bool {
        !self.spill.is_empty()
    }

    pub(crate) fn push(&mut self, item: T) {
        if !self.spilled() && self.len < N {
            self.inline[self.len] = Some(item);
        } else {
            if !self.spilled() {
                self.spill.extend(self.inline.iter().flatten());
            }
            self.spill.push(item);
        }
        self.len += 1;
    }

    /// The `i`-th item. Panics if `i >= len`, as indexing a slice does.
    pub(crate) fn get(&self, i: usize) -> T {
        assert!(i < self.len, "SmallVec index {i} out of bounds ({})", self.len);
        if self.spilled() {
            self.spill[i]
        } else {
            match self.inline[i] {
                Some(item) => item,
                None => unreachable!("inline items below len are set"),
            }
        }
    }

    pub(crate) fn swap(&mut self, a: usize, b: usize) {
        if self.spilled() {
            self.spill.swap(a, b);
        } else {
            self.inline.swap(a, b);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.inline = [None; N];
        self.spill.clear();
        self.len = 0;
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = T> + '_ {
        (0..self.len).map(|i| self.get(i))
    }
}
