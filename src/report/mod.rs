//! What tally writes for people and programs. Writers only: this room never
//! opens an inbox file or the plan, it is handed the checked data.

pub mod check;
pub mod data;
pub mod feedback;
pub mod manifest;
pub mod output;
pub mod workbook;
