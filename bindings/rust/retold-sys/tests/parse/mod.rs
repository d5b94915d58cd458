//! Parsers for the header check (tests/header.rs): retold.h (functions, structs, enums, numeric
//! #defines) and src/lib.rs (extern fns, structs, consts) into one shape, with every type in
//! Rust spelling, and the constant-expression evaluator both use. Written for the style of those
//! two files (one declaration per item), not for C or Rust in general; the_parsers_see_what_they_must
//! in tests/header.rs guards them.

use std::collections::BTreeMap;

// ------------------------------------------------------------------------------------------
// parsed declarations, shared shape for both languages (types already in Rust spelling)

#[derive(Debug, Default)]
pub struct Api {
    pub functions: BTreeMap<String, (Vec<String>, String)>, // name -> (parameter types, return type)
    pub structs: BTreeMap<String, Vec<(String, String)>>,   // name -> [(field, type)]
    pub opaque: Vec<String>,
    pub constants: BTreeMap<String, f64>, // enumerators and numeric #defines
}

pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn nospace(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Evaluates the constant expressions retold.h and lib.rs use: integers (decimal, hex, `u`
/// suffix) and floats, `(uint64_t)`-style casts, parentheses, unary minus, `<<`, `|`, and names
/// of constants defined before (`known`).
pub fn eval(expr: &str, known: &BTreeMap<String, f64>) -> Option<f64> {
    let mut e = nospace(expr);
    for cast in ["(uint64_t)", "(uint32_t)", "(int64_t)", "(int32_t)", "(int)"] {
        e = e.replace(cast, "");
    }
    while e.starts_with('(') && e.ends_with(')') && balanced(&e[1..e.len() - 1]) {
        e = e[1..e.len() - 1].to_string();
    }
    if let Some(parts) = split_outside_parens(&e, '|') {
        let mut v = 0u64;
        for p in parts {
            v |= eval(&p, known)? as u64;
        }
        return Some(v as f64);
    }
    if let Some((a, b)) = e.split_once("<<") {
        let (a, b) = (eval(a, known)?, eval(b, known)?);
        return Some(((a as u64) << (b as u64)) as f64);
    }
    if let Some(v) = known.get(&e) {
        return Some(*v);
    }
    let e = e.trim_end_matches(&['u', 'U'][..]);
    if let Some(hex) = e.strip_prefix("0x").or_else(|| e.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|v| v as f64);
    }
    e.parse::<f64>().ok()
}

pub fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        if depth < 0 {
            return false;
        }
    }
    depth == 0
}

/// `s` split on `sep` outside parentheses, or None when there is no such `sep`.
pub fn split_outside_parens(s: &str, sep: char) -> Option<Vec<String>> {
    let mut out = vec![String::new()];
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if c == sep && depth == 0 {
            out.push(String::new());
        } else {
            out.last_mut().unwrap().push(c);
        }
    }
    if out.len() > 1 {
        Some(out)
    } else {
        None
    }
}

// ------------------------------------------------------------------------------------------
// C side

pub fn strip_c_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let b = src.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && i + 1 < b.len() && b[i + 1] == b'*' {
            let end = src[i + 2..].find("*/").expect("unterminated /* comment in retold.h");
            i += 2 + end + 2;
            out.push(' ');
        } else if b[i] == b'/' && i + 1 < b.len() && b[i + 1] == b'/' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else {
            let ch = src[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// A C type ("const char *const *", "retold_dedup **", "uint64_t") in Rust spelling. A pointer
/// is `*const` when what it points to is const-qualified.
pub fn c_type_to_rust(ty: &str) -> String {
    let spaced = ty.replace('*', " * ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let first_star = tokens.iter().position(|t| *t == "*").unwrap_or(tokens.len());
    let base_tokens: Vec<&str> = tokens[..first_star].iter().copied().filter(|t| *t != "const").collect();
    let mut pointee_const = tokens[..first_star].contains(&"const");
    let base = match base_tokens.join(" ").as_str() {
        "uint8_t" => "u8".to_string(),
        "uint32_t" => "u32".to_string(),
        "uint64_t" => "u64".to_string(),
        "int32_t" => "i32".to_string(),
        "int64_t" => "i64".to_string(),
        "int" => "c_int".to_string(),
        "double" => "f64".to_string(),
        "float" => "f32".to_string(),
        "char" => "c_char".to_string(),
        "void" => "c_void".to_string(),
        other if other.starts_with("retold_") => other.to_string(),
        other => panic!("retold.h uses type `{}` that this test does not map to Rust", other),
    };
    let mut out = base;
    let mut i = first_star;
    while i < tokens.len() {
        assert_eq!(tokens[i], "*", "unexpected token in C type `{}`", ty);
        out = format!("{} {}", if pointee_const { "*const" } else { "*mut" }, out);
        pointee_const = i + 1 < tokens.len() && tokens[i + 1] == "const";
        i += if pointee_const { 2 } else { 1 };
    }
    if out == "c_void" {
        String::new() // a `void` return
    } else {
        out
    }
}

/// Splits a C declaration "const char *const *name" into (type, name).
pub fn split_declaration(decl: &str) -> (String, String) {
    let decl = decl.trim();
    let name_start = decl.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map(|p| p + 1).unwrap_or(0);
    (decl[..name_start].trim().to_string(), decl[name_start..].to_string())
}

/// The body between the `{` at or after `from` and its matching `}`, and the index after `}`.
pub fn braced(s: &str, from: usize) -> (String, usize) {
    let open = from + s[from..].find('{').unwrap();
    let mut depth = 0;
    for (k, ch) in s[open..].char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return (s[open + 1..open + k].to_string(), open + k + 1);
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced braces in retold.h");
}

pub fn parse_header(src: &str) -> Api {
    let mut api = Api::default();
    let text = strip_c_comments(src);
    // preprocessor lines (with continuations): numeric #defines become constants
    let mut code = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim_start().starts_with('#') {
            let mut directive = line.to_string();
            while directive.ends_with('\\') {
                directive.pop();
                directive.push_str(lines.next().unwrap_or(""));
            }
            let parts: Vec<&str> = directive.trim_start()[1..].trim_start().splitn(3, char::is_whitespace).collect();
            if parts.len() == 3 && parts[0] == "define" && parts[1].starts_with("RETOLD_") {
                if let Some(v) = eval(parts[2], &api.constants) {
                    api.constants.insert(parts[1].to_string(), v);
                }
            }
        } else {
            code.push_str(line);
            code.push('\n');
        }
    }
    let mut pos = 0;
    while pos < code.len() {
        let rest = &code[pos..];
        let next = ["typedef enum", "typedef struct", "RETOLD_C_API"]
            .iter()
            .filter_map(|k| rest.find(k).map(|p| (p, *k)))
            .min();
        let (at, kind) = match next {
            Some(n) => n,
            None => break,
        };
        let start = pos + at;
        match kind {
            "typedef enum" => {
                let (body, after) = braced(&code, start);
                for item in body.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                    let (name, value) = item.split_once('=').expect("enumerator without a value");
                    let v = eval(value, &api.constants).unwrap_or_else(|| panic!("cannot evaluate {}", item));
                    api.constants.insert(name.trim().to_string(), v);
                }
                pos = after + code[after..].find(';').unwrap() + 1;
            }
            "typedef struct" => {
                let semi = start + code[start..].find(';').unwrap();
                let brace = code[start..].find('{').map(|p| start + p);
                match brace {
                    Some(b) if b < semi => {
                        let (body, after) = braced(&code, start);
                        let end = after + code[after..].find(';').unwrap();
                        let name = squash(&code[after..end]);
                        let fields = body
                            .split(';')
                            .map(str::trim)
                            .filter(|f| !f.is_empty())
                            .map(|f| {
                                assert!(!f.contains(','), "one field per declaration expected: {}", f);
                                let (ty, field) = split_declaration(f);
                                (field, c_type_to_rust(&ty))
                            })
                            .collect();
                        api.structs.insert(name, fields);
                        pos = end + 1;
                    }
                    _ => {
                        // typedef struct retold_x retold_x;  (opaque)
                        let words: Vec<String> =
                            code[start + "typedef struct".len()..semi].split_whitespace().map(String::from).collect();
                        assert!(words.len() == 2 && words[0] == words[1], "odd typedef: {:?}", words);
                        api.opaque.push(words[0].clone());
                        pos = semi + 1;
                    }
                }
            }
            _ => {
                let semi = start + code[start..].find(';').unwrap();
                let decl = squash(&code[start + "RETOLD_C_API".len()..semi]);
                let open = decl.find('(').unwrap();
                let close = decl.rfind(')').unwrap();
                let (ret, name) = split_declaration(&decl[..open]);
                let params_src = decl[open + 1..close].trim();
                let params = if params_src == "void" || params_src.is_empty() {
                    Vec::new()
                } else {
                    params_src.split(',').map(|p| c_type_to_rust(&split_declaration(p).0)).collect()
                };
                api.functions.insert(name, (params, c_type_to_rust(&ret)));
                pos = semi + 1;
            }
        }
    }
    api
}

// ------------------------------------------------------------------------------------------
// Rust side: src/lib.rs, written one item per declaration

/// Splits struct fields on the commas outside (), <> and [].
pub fn split_top_level(body: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut depth = 0i32;
    for ch in body.chars() {
        match ch {
            '(' | '<' | '[' => depth += 1,
            ')' | '>' | ']' => depth -= 1,
            _ => {}
        }
        if ch == ',' && depth == 0 {
            out.push(String::new());
        } else {
            out.last_mut().unwrap().push(ch);
        }
    }
    out
}

pub fn parse_rust(src: &str) -> Api {
    let mut api = Api::default();
    let code: String = src
        .lines()
        .map(|l| match l.find("//") {
            Some(p) => &l[..p],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut pos = 0;
    while pos < code.len() {
        let rest = &code[pos..];
        let next = ["pub const ", "pub struct ", "pub fn "].iter().filter_map(|k| rest.find(k).map(|p| (p, *k))).min();
        let (at, kind) = match next {
            Some(n) => n,
            None => break,
        };
        let start = pos + at + kind.len();
        match kind {
            "pub const " => {
                let semi = start + code[start..].find(';').unwrap();
                let item = &code[start..semi];
                let (name, rest) = item.split_once(':').unwrap();
                let (_, value) = rest.split_once('=').unwrap();
                let v = eval(value, &api.constants).unwrap_or_else(|| panic!("cannot evaluate {}", item));
                api.constants.insert(name.trim().to_string(), v);
                pos = semi + 1;
            }
            "pub struct " => {
                let brace = start + code[start..].find('{').unwrap();
                let name = code[start..brace].trim().to_string();
                let (body, after) = braced(&code, start);
                let mut fields = Vec::new();
                let mut opaque = false;
                for f in split_top_level(&body).iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
                    let f = f.trim_start_matches("pub ").trim();
                    let (field, ty) = f.split_once(':').unwrap();
                    if field.starts_with('_') {
                        opaque = true;
                    } else {
                        fields.push((field.trim().to_string(), squash(ty)));
                    }
                }
                if opaque {
                    assert!(fields.is_empty(), "{} mixes private and public fields", name);
                    api.opaque.push(name);
                } else {
                    api.structs.insert(name, fields);
                }
                pos = after;
            }
            _ => {
                let semi = start + code[start..].find(';').unwrap();
                let decl = squash(&code[start..semi]);
                let open = decl.find('(').unwrap();
                let close = decl.rfind(')').unwrap();
                let name = decl[..open].trim().to_string();
                let params = decl[open + 1..close]
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| squash(p.split_once(':').unwrap().1))
                    .collect();
                let ret = decl[close + 1..].trim().trim_start_matches("->").trim().to_string();
                api.functions.insert(name, (params, ret));
                pos = semi + 1;
            }
        }
    }
    api
}
