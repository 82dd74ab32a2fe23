//! Which reader a sheet needs: a table with one indicator per row (sheet.rs) or one
//! with an indicator per column (columns.rs). The two share their helpers from
//! sheet.rs; this dispatcher keeps the dependency one way (columns → sheet).

use calamine::{Data, Range};

use super::columns;
use super::sheet::{find_headers, read_rows, Grid, SheetRead};
use crate::plan::Plan;

/// Read a sheet if it holds an indicator table; `None` if it does not look like one
/// (an instructions sheet, a projects sheet, an empty sheet). A table with one indicator
/// per row (竖表) is looked for first, then one with an indicator per column (横表).
pub fn read_sheet(plan: &Plan, file: &str, sheet: &str, range: &Range<Data>) -> Option<SheetRead> {
    let grid = Grid::new(range);
    let headers = find_headers(plan, &grid);
    if !headers.is_empty() {
        let mut tables = headers.iter().map(|h| read_rows(plan, file, sheet, &grid, h));
        let mut first = tables.next()?;
        for more in tables {
            first.absorb(more);
        }
        return Some(first);
    }
    let header = columns::find_header(plan, &grid)?;
    Some(columns::read_columns(plan, file, sheet, &grid, &header))
}
