//! Stories (clusters): [`Stories`] owns a list the library filled and lends [`StoryView`]s of it
//! without copying; [`Story`] is an owned copy of one.

use std::marker::PhantomData;
use std::slice;

use retold_sys as sys;

use crate::results::Scores;
use crate::strings::borrowed_str;

/// The stories a [`crate::Deduplicator::clusters`] call returned, by increasing id. Owns the
/// library's list (released on drop); iterate it by reference for borrowed views, or by value
/// for owned [`Story`] values. Independent of the deduplicator: it stays valid after later adds
/// or after the deduplicator is dropped. Immutable, so `Send + Sync`.
pub struct Stories {
    list: sys::retold_cluster_list,
}

// SAFETY: the list is plain data the library allocated for this owner alone; it is only read
// through `&self` and released once, in Drop (retold.h: "dispose it in one thread once no
// thread reads it", which `&mut` in drop guarantees).
unsafe impl Send for Stories {}
unsafe impl Sync for Stories {}

impl Stories {
    pub(crate) fn from_raw(list: sys::retold_cluster_list) -> Stories {
        Stories { list }
    }

    fn items(&self) -> &[sys::retold_cluster] {
        if self.list.count == 0 || self.list.items.is_null() {
            return &[];
        }
        // SAFETY: the library allocated `count` contiguous clusters, alive until dispose.
        unsafe { slice::from_raw_parts(self.list.items, self.list.count as usize) }
    }

    /// Number of stories.
    pub fn len(&self) -> usize {
        self.items().len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `i`-th story (by increasing id).
    pub fn get(&self, i: usize) -> Option<StoryView<'_>> {
        self.items().get(i).map(|raw| StoryView { raw })
    }

    /// Borrowed views of every story, in order.
    pub fn iter(&self) -> StoryIter<'_> {
        StoryIter { inner: self.items().iter() }
    }
}

impl Drop for Stories {
    fn drop(&mut self) {
        // SAFETY: the list was filled by the library and is disposed exactly once.
        unsafe { sys::retold_cluster_list_dispose(&mut self.list) };
    }
}

impl std::fmt::Debug for Stories {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Stories {
    type Item = StoryView<'a>;
    type IntoIter = StoryIter<'a>;
    fn into_iter(self) -> StoryIter<'a> {
        self.iter()
    }
}

impl IntoIterator for Stories {
    type Item = Story;
    type IntoIter = IntoStories;
    fn into_iter(self) -> IntoStories {
        IntoStories { stories: self, next: 0 }
    }
}

/// Iterator over borrowed [`StoryView`]s of a [`Stories`].
#[derive(Clone)]
pub struct StoryIter<'a> {
    inner: slice::Iter<'a, sys::retold_cluster>,
}

impl<'a> Iterator for StoryIter<'a> {
    type Item = StoryView<'a>;
    fn next(&mut self) -> Option<StoryView<'a>> {
        self.inner.next().map(|raw| StoryView { raw })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for StoryIter<'_> {}

impl DoubleEndedIterator for StoryIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.inner.next_back().map(|raw| StoryView { raw })
    }
}

/// Owning iterator: converts each story into an owned [`Story`] as it goes, then releases the
/// library's list.
pub struct IntoStories {
    stories: Stories,
    next: usize,
}

impl Iterator for IntoStories {
    type Item = Story;
    fn next(&mut self) -> Option<Story> {
        let s = self.stories.get(self.next)?.to_story();
        self.next += 1;
        Some(s)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.stories.len() - self.next;
        (n, Some(n))
    }
}

impl ExactSizeIterator for IntoStories {}

/// One story, borrowed from a [`Stories`] (no copy).
#[derive(Clone, Copy)]
pub struct StoryView<'a> {
    raw: &'a sys::retold_cluster,
}

impl<'a> StoryView<'a> {
    /// Stable story id (1, 2, ...; never reused).
    pub fn id(&self) -> u64 {
        self.raw.id
    }

    /// The member chosen by the representative policy.
    pub fn representative(&self) -> &'a str {
        // SAFETY: owned by the list, which outlives 'a.
        unsafe { borrowed_str(self.raw.representative) }
    }

    /// The first document; every member matched it.
    pub fn leader(&self) -> &'a str {
        // SAFETY: as above.
        unsafe { borrowed_str(self.raw.leader) }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.raw.member_count as usize
    }

    /// Never true (a story has at least its leader); for symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The members: leader first, then in order of joining.
    pub fn members(&self) -> MemberIter<'a> {
        let raw: &'a [sys::retold_cluster_member] = if self.raw.member_count == 0 || self.raw.members.is_null() {
            &[]
        } else {
            // SAFETY: `member_count` contiguous members owned by the list.
            unsafe { slice::from_raw_parts(self.raw.members, self.raw.member_count as usize) }
        };
        MemberIter { inner: raw.iter(), _list: PhantomData }
    }

    /// The member ids, in order.
    pub fn member_ids(&self) -> Vec<&'a str> {
        self.members().map(|m| m.id()).collect()
    }

    /// An owned copy.
    pub fn to_story(&self) -> Story {
        Story {
            id: self.id(),
            representative: self.representative().to_string(),
            leader: self.leader().to_string(),
            members: self.members().map(|m| m.to_member()).collect(),
        }
    }
}

impl std::fmt::Debug for StoryView<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Story")
            .field("id", &self.id())
            .field("representative", &self.representative())
            .field("members", &self.member_ids())
            .finish()
    }
}

/// Iterator over the members of a [`StoryView`].
#[derive(Clone)]
pub struct MemberIter<'a> {
    inner: slice::Iter<'a, sys::retold_cluster_member>,
    _list: PhantomData<&'a Stories>,
}

impl<'a> Iterator for MemberIter<'a> {
    type Item = MemberView<'a>;
    fn next(&mut self) -> Option<MemberView<'a>> {
        self.inner.next().map(|raw| MemberView { raw })
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl ExactSizeIterator for MemberIter<'_> {}

/// One member of a story, borrowed.
#[derive(Clone, Copy)]
pub struct MemberView<'a> {
    raw: &'a sys::retold_cluster_member,
}

impl<'a> MemberView<'a> {
    pub fn id(&self) -> &'a str {
        // SAFETY: owned by the list.
        unsafe { borrowed_str(self.raw.id) }
    }
    /// The outlet, "" when the document had none.
    pub fn source(&self) -> &'a str {
        // SAFETY: owned by the list.
        unsafe { borrowed_str(self.raw.source) }
    }
    pub fn timestamp(&self) -> i64 {
        self.raw.timestamp
    }
    /// Its scores against the leader when it joined.
    pub fn scores(&self) -> Scores {
        Scores::from_raw(&self.raw.scores)
    }
    /// Its title as given (whitespace runs made single spaces, at most 1024 bytes); "" when none.
    pub fn title(&self) -> &'a str {
        // SAFETY: owned by the list (written: the list's member_size is this struct's size).
        unsafe { borrowed_str(self.raw.title) }
    }
    /// The opening of its text, cleaned like the title, at most `snippet_bytes` bytes as they
    /// were when it was added; "" with snippet_bytes 0.
    pub fn snippet(&self) -> &'a str {
        // SAFETY: as above.
        unsafe { borrowed_str(self.raw.snippet) }
    }
    /// An owned copy.
    pub fn to_member(&self) -> Member {
        Member {
            id: self.id().to_string(),
            source: self.source().to_string(),
            timestamp: self.timestamp(),
            scores: self.scores(),
            title: self.title().to_string(),
            snippet: self.snippet().to_string(),
        }
    }
}

/// One story, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct Story {
    pub id: u64,
    pub representative: String,
    pub leader: String,
    /// Leader first, then in order of joining.
    pub members: Vec<Member>,
}

impl Story {
    pub fn member_ids(&self) -> Vec<&str> {
        self.members.iter().map(|m| m.id.as_str()).collect()
    }
    pub fn len(&self) -> usize {
        self.members.len()
    }
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
}

/// A member of a story, owned.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: String,
    /// "" when the document had none.
    pub source: String,
    pub timestamp: i64,
    /// Its scores against the leader when it joined.
    pub scores: Scores,
    /// Its title ("" when none).
    pub title: String,
    /// The opening of its text (at most `snippet_bytes` bytes; "" with 0).
    pub snippet: String,
}
