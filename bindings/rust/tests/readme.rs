//! README.md's first example is examples/first_story.rs, character for character: the doctest
//! of the README (src/lib.rs: ReadmeDoctests) runs it, so both stay true.

#[test]
fn readme_example_is_the_example_file() {
    let readme = include_str!("../README.md");
    let start = readme.find("```rust\n").expect("README.md has no ```rust block") + "```rust\n".len();
    let end = start + readme[start..].find("```").unwrap();
    assert_eq!(
        &readme[start..end],
        include_str!("../examples/first_story.rs"),
        "README.md and examples/first_story.rs differ"
    );
}
