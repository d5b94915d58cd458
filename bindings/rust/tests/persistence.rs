//! Saving and loading a state, with and without changed runtime options.
mod common;

use common::{rate_copy, scratch_dir, FOOTBALL, RATE};
use retold::{Deduplicator, Document, Options};

fn filled() -> Deduplicator {
    let d = Deduplicator::with_options(&Options {
        source_priority: Some(vec!["Wire".into()]),
        time_window_seconds: Some(7 * 86400),
        ..Default::default()
    })
    .unwrap();
    d.add(&Document::new("rate", RATE).timestamp(1).source("Blog")).unwrap();
    d.add(&Document::new("copy", &rate_copy()).timestamp(2).source("Wire")).unwrap();
    d.add(&Document::new("football", FOOTBALL).timestamp(3)).unwrap();
    d
}

fn stories(d: &Deduplicator) -> Vec<retold::Story> {
    d.clusters(0).unwrap().into_iter().collect()
}

#[test]
fn save_and_load_keep_stories_and_options() {
    let dir = scratch_dir("save-load");
    let state = dir.join("state");
    let d = filled();
    d.save(&state).unwrap();
    d.save(state.to_str().unwrap()).unwrap(); // a &str works too; saving again over its own state is fine
    let back = Deduplicator::load(&state).unwrap();
    assert_eq!(stories(&back), stories(&d));
    assert_eq!(back.options().unwrap(), d.options().unwrap());
    let r = back.add(&Document::new("copy-2", &format!("{} More.", rate_copy())).timestamp(4)).unwrap();
    assert_eq!(r.cluster_id, d.cluster_of("rate").unwrap());
    // the loaded one is independent of the original
    assert_eq!((back.stats().unwrap().documents, d.stats().unwrap().documents), (4, 3));
}
