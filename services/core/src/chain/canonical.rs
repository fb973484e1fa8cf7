//! A serde serializer that writes a value straight into its canonical text (the form
//! PostgreSQL's `jsonb` prints, [`super::canonical_json`]) without building a
//! `serde_json::Value` first: the writer links every event it appends, and the tree
//! cost five times the plain serialisation (issue 21, measured in `chain/tests.rs`).
//!
//! Values are written in place; an object's entries are written one after another, then
//! put in `jsonb`'s key order (length, then bytes) when the object ends.

use std::fmt;
use std::ops::Range;

use serde::ser::{self, Serialize};

use super::write_string;

/// A value that cannot be written as JSON (a map key that is not a string or number).
#[derive(Debug)]
pub struct CanonicalError(String);

impl fmt::Display for CanonicalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CanonicalError {}

impl ser::Error for CanonicalError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CanonicalError(msg.to_string())
    }
}

type Result<T> = std::result::Result<T, CanonicalError>;

/// `value`'s canonical text.
pub fn to_canonical<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let mut out = Out {
        text: String::with_capacity(1024),
        scratch: String::new(),
    };
    value.serialize(&mut out)?;
    Ok(out.text)
}

struct Out {
    text: String,
    /// Reused when an object's entries are put in order.
    scratch: String,
}

/// An object being written: where it starts, and each entry's raw key and where its
/// value's text lies.
struct Object<'a> {
    out: &'a mut Out,
    start: usize,
    entries: Vec<(KeyText, Range<usize>)>,
    /// Set while a map key waits for its value.
    key: Option<String>,
    /// A variant's name wrapping this object (`{"Variant": {...}}`), closed at the end.
    variant: Option<&'static str>,
}

enum KeyText {
    Static(&'static str),
    Owned(String),
}

impl KeyText {
    fn as_str(&self) -> &str {
        match self {
            KeyText::Static(s) => s,
            KeyText::Owned(s) => s,
        }
    }
}

impl<'a> Object<'a> {
    fn new(out: &'a mut Out, variant: Option<&'static str>) -> Object<'a> {
        if let Some(name) = variant {
            out.text.push('{');
            write_string(&mut out.text, name);
            out.text.push_str(": ");
        }
        let start = out.text.len();
        Object {
            out,
            start,
            entries: Vec::new(),
            key: None,
            variant,
        }
    }

    fn value<T: Serialize + ?Sized>(&mut self, key: KeyText, value: &T) -> Result<()> {
        let from = self.out.text.len();
        value.serialize(&mut *self.out)?;
        let to = self.out.text.len();
        self.entries.push((key, from..to));
        Ok(())
    }

    fn end(self) -> Result<()> {
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        order.sort_by(|&a, &b| {
            let (ka, kb) = (self.entries[a].0.as_str(), self.entries[b].0.as_str());
            ka.len()
                .cmp(&kb.len())
                .then_with(|| ka.as_bytes().cmp(kb.as_bytes()))
        });
        // jsonb keeps the last of equal keys.
        order.dedup_by(|later, earlier| {
            let same = self.entries[*later].0.as_str() == self.entries[*earlier].0.as_str();
            if same {
                *earlier = (*earlier).max(*later);
            }
            same
        });
        let mut scratch = std::mem::take(&mut self.out.scratch);
        scratch.clear();
        scratch.push('{');
        for (i, &n) in order.iter().enumerate() {
            if i > 0 {
                scratch.push_str(", ");
            }
            let (key, range) = &self.entries[n];
            write_string(&mut scratch, key.as_str());
            scratch.push_str(": ");
            scratch.push_str(&self.out.text[range.clone()]);
        }
        scratch.push('}');
        self.out.text.truncate(self.start);
        self.out.text.push_str(&scratch);
        self.out.scratch = scratch;
        if self.variant.is_some() {
            self.out.text.push('}');
        }
        Ok(())
    }
}

/// An array being written.
struct Array<'a> {
    out: &'a mut Out,
    first: bool,
    variant: bool,
}

impl<'a> Array<'a> {
    fn new(out: &'a mut Out, variant: Option<&'static str>) -> Array<'a> {
        if let Some(name) = variant {
            out.text.push('{');
            write_string(&mut out.text, name);
            out.text.push_str(": ");
        }
        out.text.push('[');
        Array {
            out,
            first: true,
            variant: variant.is_some(),
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        if !self.first {
            self.out.text.push_str(", ");
        }
        self.first = false;
        value.serialize(&mut *self.out)
    }

    fn end(self) -> Result<()> {
        self.out.text.push(']');
        if self.variant {
            self.out.text.push('}');
        }
        Ok(())
    }
}

impl<'a> ser::Serializer for &'a mut Out {
    type Ok = ();
    type Error = CanonicalError;
    type SerializeSeq = Array<'a>;
    type SerializeTuple = Array<'a>;
    type SerializeTupleStruct = Array<'a>;
    type SerializeTupleVariant = Array<'a>;
    type SerializeMap = Object<'a>;
    type SerializeStruct = Object<'a>;
    type SerializeStructVariant = Object<'a>;

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.text.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<()> {
        use std::fmt::Write;
        let _ = write!(self.text, "{v}");
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<()> {
        use std::fmt::Write;
        let _ = write!(self.text, "{v}");
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<()> {
        use std::fmt::Write;
        let _ = write!(self.text, "{v}");
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<()> {
        use std::fmt::Write;
        let _ = write!(self.text, "{v}");
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<()> {
        // As serde_json writes it (payloads hold no floats; see `canonical_json`).
        let text = serde_json::to_string(&v).map_err(|e| CanonicalError(e.to_string()))?;
        self.text.push_str(&text);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<()> {
        write_string(&mut self.text, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<()> {
        write_string(&mut self.text, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        let mut array = Array::new(self, None);
        for b in v {
            ser::SerializeSeq::serialize_element(&mut array, b)?;
        }
        array.end()
    }
    fn serialize_none(self) -> Result<()> {
        self.text.push_str("null");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.text.push('{');
        write_string(&mut self.text, variant);
        self.text.push_str(": ");
        value.serialize(&mut *self)?;
        self.text.push('}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Array<'a>> {
        Ok(Array::new(self, None))
    }
    fn serialize_tuple(self, _: usize) -> Result<Array<'a>> {
        Ok(Array::new(self, None))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Array<'a>> {
        Ok(Array::new(self, None))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Array<'a>> {
        Ok(Array::new(self, Some(variant)))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Object<'a>> {
        Ok(Object::new(self, None))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Object<'a>> {
        Ok(Object::new(self, None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Object<'a>> {
        Ok(Object::new(self, Some(variant)))
    }
}

impl ser::SerializeSeq for Array<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        Array::end(self)
    }
}

impl ser::SerializeTuple for Array<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        Array::end(self)
    }
}

impl ser::SerializeTupleStruct for Array<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        Array::end(self)
    }
}

impl ser::SerializeTupleVariant for Array<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }
    fn end(self) -> Result<()> {
        Array::end(self)
    }
}

impl ser::SerializeStruct for Object<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.value(KeyText::Static(key), value)
    }
    fn end(self) -> Result<()> {
        Object::end(self)
    }
}

impl ser::SerializeStructVariant for Object<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.value(KeyText::Static(key), value)
    }
    fn end(self) -> Result<()> {
        Object::end(self)
    }
}

impl ser::SerializeMap for Object<'_> {
    type Ok = ();
    type Error = CanonicalError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self
            .key
            .take()
            .ok_or_else(|| CanonicalError("a map value without its key".into()))?;
        self.value(KeyText::Owned(key), value)
    }
    fn end(self) -> Result<()> {
        Object::end(self)
    }
}

/// A map key as JSON writes it: strings as they are, numbers, booleans and unit
/// variants as their text (what serde_json does).
struct KeySerializer;

fn not_a_key() -> CanonicalError {
    CanonicalError("a map key must be a string, number or unit variant".into())
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = CanonicalError;
    type SerializeSeq = ser::Impossible<String, CanonicalError>;
    type SerializeTuple = ser::Impossible<String, CanonicalError>;
    type SerializeTupleStruct = ser::Impossible<String, CanonicalError>;
    type SerializeTupleVariant = ser::Impossible<String, CanonicalError>;
    type SerializeMap = ser::Impossible<String, CanonicalError>;
    type SerializeStruct = ser::Impossible<String, CanonicalError>;
    type SerializeStructVariant = ser::Impossible<String, CanonicalError>;

    fn serialize_bool(self, v: bool) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, _: f32) -> Result<String> {
        Err(not_a_key())
    }
    fn serialize_f64(self, _: f64) -> Result<String> {
        Err(not_a_key())
    }
    fn serialize_char(self, v: char) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String> {
        Err(not_a_key())
    }
    fn serialize_none(self) -> Result<String> {
        Err(not_a_key())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String> {
        Err(not_a_key())
    }
    fn serialize_unit(self) -> Result<String> {
        Err(not_a_key())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String> {
        Err(not_a_key())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String> {
        Err(not_a_key())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(not_a_key())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(not_a_key())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(not_a_key())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(not_a_key())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(not_a_key())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(not_a_key())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(not_a_key())
    }
}
