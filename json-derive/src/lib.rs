//! `FromJson` and `ToJson` derives for the SDK's own JSON layer.
//!
//! They stand in for serde's derives to keep the wasm build small: the generated code is a
//! flat list of calls into helpers at `crate::core::json` (`field`, `write_field`, ...), so
//! each type adds little beyond the calls themselves. Attributes go in `#[json(...)]` and
//! mirror the serde attributes they replace (listed on [`macro@FromJson`]).

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote};
use syn::ext::IdentExt;
use syn::{
    parse_macro_input, Attribute, Data, DataEnum, DeriveInput, Error, Fields, FieldsNamed, Ident,
    LitStr, Path, Result, Type,
};

/// Derives `crate::core::json::FromJson`.
///
/// Container attributes: `rename_all = "camelCase" | "snake_case"`, `transparent`,
/// `tag = "..."` (enums). Field attributes: `rename`, `alias` (repeatable), `default`,
/// `nullable`, `skip` (`skip_serializing_if` is accepted and only matters to `ToJson`).
/// Variant attribute: `rename`.
#[proc_macro_derive(FromJson, attributes(json))]
pub fn derive_from_json(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    from_json(&input)
        .unwrap_or_else(Error::into_compile_error)
        .into()
}

/// Derives `crate::core::json::ToJson`, with the same attributes as [`macro@FromJson`].
#[proc_macro_derive(ToJson, attributes(json))]
pub fn derive_to_json(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    to_json(&input)
        .unwrap_or_else(Error::into_compile_error)
        .into()
}

#[derive(Clone, Copy)]
enum RenameAll {
    Camel,
    Snake,
}

impl RenameAll {
    /// Field names are Rust snake_case already.
    fn field(self, name: &str) -> String {
        match self {
            RenameAll::Snake => name.to_owned(),
            RenameAll::Camel => {
                let mut out = String::with_capacity(name.len());
                let mut upper = false;
                for c in name.chars() {
                    if c == '_' {
                        upper = !out.is_empty();
                    } else if upper {
                        out.extend(c.to_uppercase());
                        upper = false;
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }

    /// Variant names are Rust CamelCase already.
    fn variant(self, name: &str) -> String {
        let mut out = String::with_capacity(name.len() + 4);
        for (i, c) in name.chars().enumerate() {
            match self {
                RenameAll::Snake if c.is_uppercase() => {
                    if i > 0 {
                        out.push('_');
                    }
                    out.extend(c.to_lowercase());
                }
                RenameAll::Camel if i == 0 => out.extend(c.to_lowercase()),
                _ => out.push(c),
            }
        }
        out
    }
}

#[derive(Default)]
struct Container {
    rename_all: Option<RenameAll>,
    transparent: bool,
    tag: Option<String>,
    /// `#[json(default)]` on a struct: every field without its own rule reads as `default`.
    default: bool,
}

/// How an absent (or null) field is read: picks the `crate::core::json` helper.
enum Read {
    Required,
    Default,
    Nullable,
    Skip,
}

struct Field {
    ident: Ident,
    key: String,
    /// `#[json(read = "...")]`: the key read, where it differs from the key written.
    read_key: Option<String>,
    aliases: Vec<String>,
    read: Read,
    skip_if: Option<Path>,
}

/// Runs `f` on each `key` / `key = value` item of every `#[json(...)]` attribute; other
/// attributes (docs, derives, lints) belong to someone else.
fn each_json_meta(
    attrs: &[Attribute],
    mut f: impl FnMut(&syn::meta::ParseNestedMeta) -> Result<()>,
) -> Result<()> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("json"))
        .try_for_each(|a| a.parse_nested_meta(|meta| f(&meta)))
}

fn string_value(meta: &syn::meta::ParseNestedMeta) -> Result<String> {
    Ok(meta.value()?.parse::<LitStr>()?.value())
}

fn container(input: &DeriveInput) -> Result<Container> {
    let mut c = Container::default();
    each_json_meta(&input.attrs, |meta| {
        if meta.path.is_ident("rename_all") {
            c.rename_all = Some(match string_value(meta)?.as_str() {
                "camelCase" => RenameAll::Camel,
                "snake_case" => RenameAll::Snake,
                _ => return Err(meta.error("rename_all supports \"camelCase\" and \"snake_case\"")),
            });
        } else if meta.path.is_ident("transparent") {
            c.transparent = true;
        } else if meta.path.is_ident("tag") {
            c.tag = Some(string_value(meta)?);
        } else if meta.path.is_ident("default") {
            c.default = true;
        } else {
            return Err(meta.error("unknown json container attribute"));
        }
        Ok(())
    })?;
    Ok(c)
}

fn named_fields(
    fields: &FieldsNamed,
    rename_all: Option<RenameAll>,
    default: bool,
) -> Result<Vec<Field>> {
    fields
        .named
        .iter()
        .map(|f| {
            let ident = f
                .ident
                .clone()
                .ok_or_else(|| Error::new_spanned(f, "a named field has a name"))?;
            let name = ident.unraw().to_string();
            let mut field = Field {
                key: rename_all.map_or_else(|| name.clone(), |r| r.field(&name)),
                ident,
                read_key: None,
                aliases: Vec::new(),
                read: Read::Required,
                skip_if: None,
            };
            each_json_meta(&f.attrs, |meta| {
                let read = if meta.path.is_ident("rename") {
                    field.key = string_value(meta)?;
                    None
                } else if meta.path.is_ident("read") {
                    field.read_key = Some(string_value(meta)?);
                    None
                } else if meta.path.is_ident("alias") {
                    field.aliases.push(string_value(meta)?);
                    None
                } else if meta.path.is_ident("skip_serializing_if") {
                    field.skip_if = Some(meta.value()?.parse::<LitStr>()?.parse()?);
                    None
                } else if meta.path.is_ident("default") {
                    Some(Read::Default)
                } else if meta.path.is_ident("nullable") {
                    Some(Read::Nullable)
                } else if meta.path.is_ident("skip") {
                    Some(Read::Skip)
                } else {
                    return Err(meta.error("unknown json field attribute"));
                };
                if let Some(read) = read {
                    if !matches!(field.read, Read::Required) {
                        return Err(meta.error("use only one of default, nullable and skip"));
                    }
                    field.read = read;
                }
                Ok(())
            })?;
            if default && matches!(field.read, Read::Required) {
                field.read = Read::Default;
            }
            Ok(field)
        })
        .collect()
}

fn variant_name(variant: &syn::Variant, rename_all: Option<RenameAll>) -> Result<String> {
    let name = variant.ident.unraw().to_string();
    let mut key = rename_all.map_or_else(|| name.clone(), |r| r.variant(&name));
    each_json_meta(&variant.attrs, |meta| {
        if meta.path.is_ident("rename") {
            key = string_value(meta)?;
            Ok(())
        } else {
            Err(meta.error("unknown json variant attribute"))
        }
    })?;
    Ok(key)
}

/// What a type is to both derives, classified once: every shape they can't handle is refused
/// here, with the same message for either derive.
enum Shape<'a> {
    /// `#[json(transparent)]`: its one field (how to reach it in `self`) and that field's type.
    Transparent(TokenStream2, &'a Type),
    /// A struct with named fields: a JSON object.
    Struct(Vec<Field>),
    /// An enum of unit variants: each a JSON string.
    Names(Vec<(&'a Ident, String)>),
    /// An enum with `#[json(tag = "...")]`: a JSON object whose `tag` member names the variant.
    Tagged(String, Vec<Tagged<'a>>),
}

/// A variant of a [`Shape::Tagged`] enum: its name, its key, and its fields (`None`: a unit
/// variant, only the tag).
struct Tagged<'a> {
    ident: &'a Ident,
    key: String,
    fields: Option<Vec<Field>>,
}

fn shape(input: &DeriveInput) -> Result<Shape<'_>> {
    let c = container(input)?;
    if c.transparent {
        return transparent_field(input).map(|(member, ty)| Shape::Transparent(member, ty));
    }
    match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(_) if c.tag.is_some() => Err(unsupported(input, "tag on structs")),
            Fields::Named(named) => {
                Ok(Shape::Struct(named_fields(named, c.rename_all, c.default)?))
            }
            _ => Err(unsupported(
                input,
                "tuple and unit structs without transparent",
            )),
        },
        Data::Enum(e) if e.variants.is_empty() => Err(unsupported(input, "enums without variants")),
        Data::Enum(e) => enum_shape(input, e, &c),
        Data::Union(_) => Err(unsupported(input, "unions")),
    }
}

fn enum_shape<'a>(input: &DeriveInput, e: &'a DataEnum, c: &Container) -> Result<Shape<'a>> {
    let mut tagged = Vec::new();
    for v in &e.variants {
        let key = variant_name(v, c.rename_all)?;
        let fields = match (&v.fields, &c.tag) {
            (Fields::Unit, _) => None,
            (Fields::Named(named), Some(_)) => Some(named_fields(named, None, false)?),
            (Fields::Named(_), None) => {
                return Err(unsupported(
                    input,
                    "enum variants with fields without #[json(tag = \"...\")]",
                ))
            }
            (Fields::Unnamed(_), _) => return Err(unsupported(input, "enum tuple variants")),
        };
        tagged.push(Tagged {
            ident: &v.ident,
            key,
            fields,
        });
    }
    Ok(match &c.tag {
        Some(tag) => Shape::Tagged(tag.clone(), tagged),
        None => Shape::Names(tagged.into_iter().map(|v| (v.ident, v.key)).collect()),
    })
}

/// The single field of a `transparent` struct: how to reach it in `self`, and its type.
fn transparent_field(input: &DeriveInput) -> Result<(TokenStream2, &Type)> {
    let fields = match &input.data {
        Data::Struct(s) if s.fields.len() == 1 => &s.fields,
        _ => {
            return Err(Error::new_spanned(
                &input.ident,
                "#[json(transparent)] needs a struct with exactly one field",
            ))
        }
    };
    let field = fields
        .iter()
        .next()
        .ok_or_else(|| Error::new_spanned(&input.ident, "#[json(transparent)] needs a field"))?;
    let member = match &field.ident {
        Some(ident) => quote!(#ident),
        None => quote!(0),
    };
    Ok((member, &field.ty))
}

fn unsupported(input: &DeriveInput, what: &str) -> Error {
    Error::new_spanned(
        &input.ident,
        format!("FromJson/ToJson: {what} are not supported"),
    )
}

/// `name: <helper>(obj, &[keys])?, ...` for a struct literal; also says whether `obj` is read.
fn read_fields(fields: &[Field]) -> (TokenStream2, bool) {
    let uses_obj = fields.iter().any(|f| !matches!(f.read, Read::Skip));
    let inits = fields.iter().map(|f| {
        let ident = &f.ident;
        let helper = match f.read {
            Read::Skip => return quote!(#ident: Default::default()),
            Read::Required => quote!(field),
            Read::Default => quote!(field_or_default),
            Read::Nullable => quote!(field_nullable),
        };
        let key = f.read_key.as_ref().unwrap_or(&f.key);
        let aliases = &f.aliases;
        quote!(#ident: crate::core::json::#helper(obj, &[#key #(, #aliases)*])?)
    });
    (quote!(#(#inits),*), uses_obj)
}

/// `write_field` calls for the written fields; `value(field)` is the expression for a `&T`.
fn write_fields(fields: &[Field], value: impl Fn(&Field) -> TokenStream2) -> Vec<TokenStream2> {
    fields
        .iter()
        .filter(|f| !matches!(f.read, Read::Skip))
        .map(|f| {
            let key = &f.key;
            let value = value(f);
            let write = quote!(crate::core::json::write_field(out, &mut first, #key, #value););
            match &f.skip_if {
                Some(path) => quote!(if !#path(#value) { #write }),
                None => write,
            }
        })
        .collect()
}

fn from_json(input: &DeriveInput) -> Result<TokenStream2> {
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let read = match shape(input)? {
        Shape::Transparent(member, ty) => {
            return Ok(quote! {
                impl #impl_generics crate::core::json::FromJson for #name #ty_generics #where_clause {
                    fn from_json(value: &crate::core::json::Value) -> Option<Self> {
                        Some(Self { #member: crate::core::json::FromJson::from_json(value)? })
                    }
                    fn missing() -> Option<Self> {
                        Some(Self { #member: <#ty as crate::core::json::FromJson>::missing()? })
                    }
                }
            })
        }
        Shape::Struct(fields) => {
            let (inits, uses_obj) = read_fields(&fields);
            let obj = if uses_obj {
                quote!(let obj =)
            } else {
                quote!()
            };
            quote!(#obj value.as_object()?; Some(Self { #inits }))
        }
        Shape::Names(names) => {
            let arms = names
                .iter()
                .map(|(ident, key)| quote!(#key => Some(Self::#ident),));
            quote!(match value.as_str()? { #(#arms)* _ => None })
        }
        Shape::Tagged(tag, variants) => {
            let arms = variants.iter().map(|v| {
                let (ident, key) = (v.ident, &v.key);
                let build = match &v.fields {
                    None => quote!(Self::#ident),
                    Some(fields) => {
                        let (inits, _) = read_fields(fields);
                        quote!(Self::#ident { #inits })
                    }
                };
                quote!(#key => Some(#build),)
            });
            quote!(let obj = value.as_object()?; match obj.get(#tag)?.as_str()? { #(#arms)* _ => None })
        }
    };
    Ok(quote! {
        impl #impl_generics crate::core::json::FromJson for #name #ty_generics #where_clause {
            fn from_json(value: &crate::core::json::Value) -> Option<Self> { #read }
        }
    })
}

fn to_json(input: &DeriveInput) -> Result<TokenStream2> {
    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let body = match shape(input)? {
        Shape::Transparent(member, _) => {
            quote!(crate::core::json::ToJson::write_json(&self.#member, out);)
        }
        Shape::Struct(fields) => {
            let writes = write_fields(&fields, |f| {
                let ident = &f.ident;
                quote!(&self.#ident)
            });
            if writes.is_empty() {
                quote!(out.push_str("{}");)
            } else {
                quote!(out.push('{'); let mut first = true; #(#writes)* out.push('}');)
            }
        }
        Shape::Names(names) => {
            let arms = names
                .iter()
                .map(|(ident, key)| quote!(Self::#ident => #key,));
            quote!(crate::core::json::write_str(out, match self { #(#arms)* });)
        }
        Shape::Tagged(tag, variants) => {
            let arms = variants.iter().map(|v| {
                let (ident, key) = (v.ident, &v.key);
                let write_tag =
                    quote!(crate::core::json::write_field(out, &mut first, #tag, #key););
                let Some(fields) = &v.fields else {
                    return quote!(Self::#ident => { #write_tag });
                };
                // Bound to fresh names: a field called `out` or `first` must not shadow ours.
                let binding = |f: &Field| format_ident!("__json_{}", f.ident.unraw());
                let bound = fields
                    .iter()
                    .filter(|f| !matches!(f.read, Read::Skip))
                    .map(|f| {
                        let (ident, b) = (&f.ident, binding(f));
                        quote!(#ident: #b)
                    });
                let writes = write_fields(fields, |f| {
                    let b = binding(f);
                    quote!(#b)
                });
                quote!(Self::#ident { #(#bound,)* .. } => { #write_tag #(#writes)* })
            });
            quote!(out.push('{'); let mut first = true; match self { #(#arms)* } out.push('}');)
        }
    };
    Ok(quote! {
        impl #impl_generics crate::core::json::ToJson for #name #ty_generics #where_clause {
            fn write_json(&self, out: &mut String) { #body }
        }
    })
}
