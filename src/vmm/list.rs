//! One intrusive doubly linked list of regions, threaded through the
//! `list_prev`/`list_next` fields of the region headers. It serves the
//! policy's window and main list and the placement's free list (a region
//! is on at most one of them at a time).
//!
//! Belongs here: linking, unlinking, walking, and fixing links after a
//! region moved. Does not belong here: which list a region belongs on or
//! what order means (`policy`, `place`).

use super::header::Regions;
use super::units::ArenaPara;

/// The ends of a list; the links live in the arena.
#[derive(Clone, Copy, Debug)]
pub struct List {
    head: ArenaPara,
    tail: ArenaPara,
}

impl List {
    /// An empty list.
    pub const EMPTY: Self = Self {
        head: ArenaPara::NIL,
        tail: ArenaPara::NIL,
    };

    /// The first region (`NIL` if empty).
    pub fn head(&self) -> ArenaPara {
        self.head
    }

    /// The last region (`NIL` if empty).
    pub fn tail(&self) -> ArenaPara {
        self.tail
    }

    /// Puts `p` in front of the head.
    pub fn push_front<A: Regions>(&mut self, a: &mut A, p: ArenaPara) {
        a.set_list_prev(p, ArenaPara::NIL);
        a.set_list_next(p, self.head);
        if self.head.is_nil() {
            self.tail = p;
        } else {
            a.set_list_prev(self.head, p);
        }
        self.head = p;
    }

    /// Puts `p` behind the tail.
    pub fn push_back<A: Regions>(&mut self, a: &mut A, p: ArenaPara) {
        a.set_list_next(p, ArenaPara::NIL);
        a.set_list_prev(p, self.tail);
        if self.tail.is_nil() {
            self.head = p;
        } else {
            a.set_list_next(self.tail, p);
        }
        self.tail = p;
    }

    /// Takes `p` (which is on this list) off it.
    pub fn unlink<A: Regions>(&mut self, a: &mut A, p: ArenaPara) {
        let (prev, next) = (a.list_prev(p), a.list_next(p));
        self.replace(a, prev, next, next, prev);
    }

    /// After region `old` (on this list) was copied to `new`, links the
    /// neighbours to `new`.
    pub fn moved<A: Regions>(&mut self, a: &mut A, new: ArenaPara) {
        let (prev, next) = (a.list_prev(new), a.list_next(new));
        self.replace(a, prev, next, new, new);
    }

    /// Makes `prev` point forward to `fwd` and `next` back to `back`
    /// (or the list's ends where `prev`/`next` is `NIL`).
    fn replace<A: Regions>(
        &mut self,
        a: &mut A,
        prev: ArenaPara,
        next: ArenaPara,
        fwd: ArenaPara,
        back: ArenaPara,
    ) {
        if prev.is_nil() {
            self.head = fwd;
        } else {
            a.set_list_next(prev, fwd);
        }
        if next.is_nil() {
            self.tail = back;
        } else {
            a.set_list_prev(next, back);
        }
    }

    /// The first region from the head on for which `want` holds.
    pub fn find_forward<A: Regions>(
        &self,
        a: &A,
        mut want: impl FnMut(&A, ArenaPara) -> bool,
    ) -> Option<ArenaPara> {
        let mut p = self.head;
        while !p.is_nil() {
            if want(a, p) {
                return Some(p);
            }
            p = a.list_next(p);
        }
        None
    }
}
