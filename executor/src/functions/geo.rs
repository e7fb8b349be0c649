//! The operators and functions of the geometric types (PostgreSQL's
//! `utils/adt/geo_ops.c`), dispatched on PostgreSQL's implementation names
//! (`point_distance`, `box_overlap`, `close_ps`, ...). The geometry lives
//! in [`types::datum::geo`]; this file maps names onto it, and the casts
//! between the types are here too ([`cast`]).

use types::datum::geo::{
    self, Circle, Geo, GeoBox, Line, Lseg, Path, Point, Polygon, fp_eq, fp_ge, fp_gt, fp_le, fp_lt,
    fp_ne, fp_zero, point_dt, point_eq,
};
use types::oid;
use types::{Datum, PgError, PgResult};

fn g(d: &Geo) -> Datum {
    Datum::Geo(Box::new(d.clone()))
}
fn pt(p: Point) -> Datum {
    Datum::Geo(Box::new(Geo::Point(p)))
}
fn bx(b: GeoBox) -> Datum {
    Datum::Geo(Box::new(Geo::Box(b)))
}
fn poly(p: Polygon) -> Datum {
    Datum::Geo(Box::new(Geo::Polygon(p)))
}
fn circ(c: Circle) -> Datum {
    Datum::Geo(Box::new(Geo::Circle(c)))
}
fn path(p: Path) -> Datum {
    Datum::Geo(Box::new(Geo::Path(p)))
}
fn f8(v: f64) -> Datum {
    Datum::Float8(v)
}
fn b(v: bool) -> Datum {
    Datum::Bool(v)
}
/// A closest point: NULL where the distance is NaN.
fn close((d, p): (f64, Point)) -> Datum {
    if d.is_nan() { Datum::Null } else { pt(p) }
}
fn opt_f8(v: Option<f64>) -> Datum {
    v.map_or(Datum::Null, Datum::Float8)
}

/// Runs `func` if it is one of the geometric functions.
pub fn call(func: &str, args: &[Datum]) -> PgResult<Option<Datum>> {
    use Geo::{Box as B, Circle as C, Line as L, Lseg as S, Path as P, Point as T, Polygon as Y};
    let gs: Vec<Option<&Geo>> = args
        .iter()
        .map(|a| match a {
            Datum::Geo(g) => Some(&**g),
            _ => None,
        })
        .collect();
    let num = |i: usize| match args.get(i) {
        Some(Datum::Float8(v)) => Some(*v),
        Some(Datum::Int4(v)) => Some(f64::from(*v)),
        _ => None,
    };
    let r = match (func, gs.as_slice()) {
        // constructors that take numbers
        ("construct_point", _) => match (num(0), num(1)) {
            (Some(x), Some(y)) => pt(Point { x, y }),
            _ => return Ok(None),
        },
        ("cr_circle", [Some(T(c)), _]) => match num(1) {
            Some(radius) => circ(Circle { center: *c, radius }),
            None => return Ok(None),
        },
        ("circle_poly", [_, Some(C(c))]) => match args.first() {
            Some(Datum::Int4(n)) => poly(c.to_polygon(*n)?),
            _ => return Ok(None),
        },
        ("circle_poly12", [Some(C(c))]) => poly(c.to_polygon(12)?),

        // `p[i]`: a coordinate of a point or line, a corner of a lseg or box
        ("geo_subscript", [Some(v), _]) => {
            let Some(Datum::Int4(i)) = args.get(1) else {
                return Ok(None);
            };
            match (v, *i) {
                (T(p), 0) => f8(p.x),
                (T(p), 1) => f8(p.y),
                (L(l), 0) => f8(l.a),
                (L(l), 1) => f8(l.b),
                (L(l), 2) => f8(l.c),
                (S(l), 0 | 1) => pt(l.p[*i as usize]),
                (B(x), 0) => pt(x.high),
                (B(x), 1) => pt(x.low),
                _ => Datum::Null,
            }
        }

        // points
        ("point_left", [Some(T(p)), Some(T(q))]) => b(fp_lt(p.x, q.x)),
        ("point_right", [Some(T(p)), Some(T(q))]) => b(fp_gt(p.x, q.x)),
        ("point_above", [Some(T(p)), Some(T(q))]) => b(fp_gt(p.y, q.y)),
        ("point_below", [Some(T(p)), Some(T(q))]) => b(fp_lt(p.y, q.y)),
        ("point_vert", [Some(T(p)), Some(T(q))]) => b(fp_eq(p.x, q.x)),
        ("point_horiz", [Some(T(p)), Some(T(q))]) => b(fp_eq(p.y, q.y)),
        ("point_eq", [Some(T(p)), Some(T(q))]) => b(point_eq(p, q)),
        ("point_ne", [Some(T(p)), Some(T(q))]) => b(!point_eq(p, q)),
        ("point_distance", [Some(T(p)), Some(T(q))]) => f8(point_dt(p, q)?),
        ("point_slope", [Some(T(p)), Some(T(q))]) => f8(geo::point_sl(p, q)?),
        ("point_add", [Some(T(p)), Some(T(q))]) => pt(p.add(q)?),
        ("point_sub", [Some(T(p)), Some(T(q))]) => pt(p.sub(q)?),
        ("point_mul", [Some(T(p)), Some(T(q))]) => pt(p.mul(q)?),
        ("point_div", [Some(T(p)), Some(T(q))]) => pt(p.div(q)?),
        ("point_box", [Some(T(p))]) => bx(GeoBox { high: *p, low: *p }),
        ("points_box", [Some(T(p)), Some(T(q))]) => bx(GeoBox::new(*p, *q)),
        ("lseg_construct", [Some(T(p)), Some(T(q))]) => {
            Datum::Geo(Box::new(S(Lseg { p: [*p, *q] })))
        }
        ("line_construct_pp", [Some(T(p)), Some(T(q))]) => {
            Datum::Geo(Box::new(L(Line::through(p, q)?)))
        }

        // line segments
        ("lseg_length", [Some(S(l))]) => f8(l.length()?),
        ("lseg_center", [Some(S(l))]) => pt(l.center()?),
        ("lseg_vertical", [Some(S(l))]) => b(fp_eq(l.p[0].x, l.p[1].x)),
        ("lseg_horizontal", [Some(S(l))]) => b(fp_eq(l.p[0].y, l.p[1].y)),
        ("lseg_intersect", [Some(S(l)), Some(S(m))]) => b(l.interpt(m)?.is_some()),
        ("lseg_parallel", [Some(S(l)), Some(S(m))]) => b(fp_eq(l.sl()?, m.sl()?)),
        ("lseg_perp", [Some(S(l)), Some(S(m))]) => b(fp_eq(l.sl()?, m.invsl()?)),
        ("lseg_eq", [Some(S(l)), Some(S(m))]) => b(l.same(m)),
        ("lseg_ne", [Some(S(l)), Some(S(m))]) => b(!l.same(m)),
        ("lseg_lt", [Some(S(l)), Some(S(m))]) => b(fp_lt(l.length()?, m.length()?)),
        ("lseg_le", [Some(S(l)), Some(S(m))]) => b(fp_le(l.length()?, m.length()?)),
        ("lseg_gt", [Some(S(l)), Some(S(m))]) => b(fp_gt(l.length()?, m.length()?)),
        ("lseg_ge", [Some(S(l)), Some(S(m))]) => b(fp_ge(l.length()?, m.length()?)),
        ("lseg_distance", [Some(S(l)), Some(S(m))]) => f8(l.closept_lseg(m)?.0),
        ("lseg_interpt", [Some(S(l)), Some(S(m))]) => l.interpt(m)?.map_or(Datum::Null, pt),
        ("close_lseg", [Some(S(l)), Some(S(m))]) => {
            if l.sl()? == m.sl()? {
                Datum::Null
            } else {
                close(m.closept_lseg(l)?)
            }
        }

        // lines
        ("line_eq", [Some(L(l)), Some(L(m))]) => b(l.same(m)?),
        ("line_intersect", [Some(L(l)), Some(L(m))]) => b(l.interpt(m)?.is_some()),
        ("line_parallel", [Some(L(l)), Some(L(m))]) => b(l.interpt(m)?.is_none()),
        ("line_perp", [Some(L(l)), Some(L(m))]) => b(l.perp(m)?),
        ("line_vertical", [Some(L(l))]) => b(fp_zero(l.b)),
        ("line_horizontal", [Some(L(l))]) => b(fp_zero(l.a)),
        ("line_distance", [Some(L(l)), Some(L(m))]) => f8(l.distance(m)?),
        ("line_interpt", [Some(L(l)), Some(L(m))]) => l.interpt(m)?.map_or(Datum::Null, pt),

        // distances between kinds
        ("dist_pl", [Some(T(p)), Some(L(l))]) | ("dist_lp", [Some(L(l)), Some(T(p))]) => {
            f8(l.closept_point(p)?.0)
        }
        ("dist_ps", [Some(T(p)), Some(S(l))]) | ("dist_sp", [Some(S(l)), Some(T(p))]) => {
            f8(l.closept_point(p)?.0)
        }
        ("dist_ppath", [Some(T(p)), Some(P(h))]) | ("dist_pathp", [Some(P(h)), Some(T(p))]) => {
            f8(h.dist_point(p)?)
        }
        ("dist_pb", [Some(T(p)), Some(B(x))]) | ("dist_bp", [Some(B(x)), Some(T(p))]) => {
            f8(x.closept_point(p)?.0)
        }
        ("dist_sl", [Some(S(s)), Some(L(l))]) | ("dist_ls", [Some(L(l)), Some(S(s))]) => {
            f8(s.closept_line(l)?.0)
        }
        ("dist_sb", [Some(S(s)), Some(B(x))]) | ("dist_bs", [Some(B(x)), Some(S(s))]) => {
            f8(x.closept_lseg(s)?.0)
        }
        ("dist_cpoly", [Some(C(c)), Some(Y(y))]) | ("dist_polyc", [Some(Y(y)), Some(C(c))]) => {
            let d = geo::mi(y.dist_point(&c.center)?, c.radius)?;
            f8(if d < 0.0 { 0.0 } else { d })
        }
        ("dist_ppoly", [Some(T(p)), Some(Y(y))]) | ("dist_polyp", [Some(Y(y)), Some(T(p))]) => {
            f8(y.dist_point(p)?)
        }
        ("dist_pc", [Some(T(p)), Some(C(c))]) | ("dist_cpoint", [Some(C(c)), Some(T(p))]) => {
            let d = geo::mi(point_dt(p, &c.center)?, c.radius)?;
            f8(if d < 0.0 { 0.0 } else { d })
        }

        // closest points
        ("close_pl", [Some(T(p)), Some(L(l))]) => close(l.closept_point(p)?),
        ("close_ps", [Some(T(p)), Some(S(s))]) => close(s.closept_point(p)?),
        ("close_pb", [Some(T(p)), Some(B(x))]) => close(x.closept_point(p)?),
        ("close_sb", [Some(S(s)), Some(B(x))]) => close(x.closept_lseg(s)?),
        ("close_ls", [Some(L(l)), Some(S(s))]) => {
            if s.sl()? == l.sl()? {
                Datum::Null
            } else {
                close(s.closept_line(l)?)
            }
        }

        // containment and intersection between kinds
        ("on_pl", [Some(T(p)), Some(L(l))]) => b(l.contains(p)?),
        ("on_ps", [Some(T(p)), Some(S(s))]) => b(s.contains(p)?),
        ("on_pb", [Some(T(p)), Some(B(x))]) | ("box_contain_pt", [Some(B(x)), Some(T(p))]) => {
            b(x.contains_point(p))
        }
        ("on_ppath", [Some(T(p)), Some(P(h))]) | ("path_contain_pt", [Some(P(h)), Some(T(p))]) => {
            b(h.contains_point(p)?)
        }
        ("on_sl", [Some(S(s)), Some(L(l))]) => b(l.contains(&s.p[0])? && l.contains(&s.p[1])?),
        ("on_sb", [Some(S(s)), Some(B(x))]) => {
            b(x.contains_point(&s.p[0]) && x.contains_point(&s.p[1]))
        }
        ("inter_sl", [Some(S(s)), Some(L(l))]) => b(s.interpt_line(l)?.is_some()),
        ("inter_sb", [Some(S(s)), Some(B(x))]) => b(x.interpt_lseg(s)?.is_some()),
        ("inter_lb", [Some(L(l)), Some(B(x))]) => b(x.meets_line(l)?),

        // boxes
        ("box_same", [Some(B(x)), Some(B(y))]) => b(x.same(y)),
        ("box_overlap", [Some(B(x)), Some(B(y))]) => b(x.overlaps(y)),
        ("box_left", [Some(B(x)), Some(B(y))]) => b(fp_lt(x.high.x, y.low.x)),
        ("box_overleft", [Some(B(x)), Some(B(y))]) => b(fp_le(x.high.x, y.high.x)),
        ("box_right", [Some(B(x)), Some(B(y))]) => b(fp_gt(x.low.x, y.high.x)),
        ("box_overright", [Some(B(x)), Some(B(y))]) => b(fp_ge(x.low.x, y.low.x)),
        ("box_below", [Some(B(x)), Some(B(y))]) => b(fp_lt(x.high.y, y.low.y)),
        ("box_overbelow", [Some(B(x)), Some(B(y))]) => b(fp_le(x.high.y, y.high.y)),
        ("box_above", [Some(B(x)), Some(B(y))]) => b(fp_gt(x.low.y, y.high.y)),
        ("box_overabove", [Some(B(x)), Some(B(y))]) => b(fp_ge(x.low.y, y.low.y)),
        ("box_contained", [Some(B(x)), Some(B(y))]) => b(y.contains_box(x)),
        ("box_contain", [Some(B(x)), Some(B(y))]) => b(x.contains_box(y)),
        ("box_below_eq", [Some(B(x)), Some(B(y))]) => b(fp_le(x.high.y, y.low.y)),
        ("box_above_eq", [Some(B(x)), Some(B(y))]) => b(fp_ge(x.low.y, y.high.y)),
        ("box_lt", [Some(B(x)), Some(B(y))]) => b(fp_lt(x.area()?, y.area()?)),
        ("box_gt", [Some(B(x)), Some(B(y))]) => b(fp_gt(x.area()?, y.area()?)),
        ("box_eq", [Some(B(x)), Some(B(y))]) => b(fp_eq(x.area()?, y.area()?)),
        ("box_le", [Some(B(x)), Some(B(y))]) => b(fp_le(x.area()?, y.area()?)),
        ("box_ge", [Some(B(x)), Some(B(y))]) => b(fp_ge(x.area()?, y.area()?)),
        ("box_area", [Some(B(x))]) => f8(x.area()?),
        ("box_width", [Some(B(x))]) => f8(x.width()?),
        ("box_height", [Some(B(x))]) => f8(x.height()?),
        ("box_distance", [Some(B(x)), Some(B(y))]) => f8(point_dt(&x.center()?, &y.center()?)?),
        ("box_center", [Some(B(x))]) => pt(x.center()?),
        ("box_intersect", [Some(B(x)), Some(B(y))]) => {
            if x.overlaps(y) {
                bx(GeoBox {
                    high: Point {
                        x: geo::f_min(x.high.x, y.high.x),
                        y: geo::f_min(x.high.y, y.high.y),
                    },
                    low: Point {
                        x: geo::f_max(x.low.x, y.low.x),
                        y: geo::f_max(x.low.y, y.low.y),
                    },
                })
            } else {
                Datum::Null
            }
        }
        ("box_diagonal", [Some(B(x))]) => Datum::Geo(Box::new(S(Lseg { p: [x.high, x.low] }))),
        ("box_add", [Some(B(x)), Some(T(p))]) => bx(GeoBox {
            high: x.high.add(p)?,
            low: x.low.add(p)?,
        }),
        ("box_sub", [Some(B(x)), Some(T(p))]) => bx(GeoBox {
            high: x.high.sub(p)?,
            low: x.low.sub(p)?,
        }),
        ("box_mul", [Some(B(x)), Some(T(p))]) => bx(x.map(|q| q.mul(p))?),
        ("box_div", [Some(B(x)), Some(T(p))]) => bx(x.map(|q| q.div(p))?),
        ("boxes_bound_box", [Some(B(x)), Some(B(y))]) => bx(GeoBox {
            high: Point {
                x: geo::f_max(x.high.x, y.high.x),
                y: geo::f_max(x.high.y, y.high.y),
            },
            low: Point {
                x: geo::f_min(x.low.x, y.low.x),
                y: geo::f_min(x.low.y, y.low.y),
            },
        }),
        ("box_poly", [Some(B(x))]) => poly(x.to_polygon()),
        ("box_circle", [Some(B(x))]) => circ(Circle::from_box(x)?),

        // paths
        ("path_n_lt", [Some(P(p)), Some(P(q))]) => b(p.points.len() < q.points.len()),
        ("path_n_gt", [Some(P(p)), Some(P(q))]) => b(p.points.len() > q.points.len()),
        ("path_n_eq", [Some(P(p)), Some(P(q))]) => b(p.points.len() == q.points.len()),
        ("path_n_le", [Some(P(p)), Some(P(q))]) => b(p.points.len() <= q.points.len()),
        ("path_n_ge", [Some(P(p)), Some(P(q))]) => b(p.points.len() >= q.points.len()),
        ("path_isclosed", [Some(P(p))]) => b(p.closed),
        ("path_isopen", [Some(P(p))]) => b(!p.closed),
        ("path_npoints", [Some(P(p))]) => Datum::Int4(p.points.len() as i32),
        ("path_close", [Some(P(p))]) => path(Path {
            closed: true,
            ..p.clone()
        }),
        ("path_open", [Some(P(p))]) => path(Path {
            closed: false,
            ..p.clone()
        }),
        ("path_length", [Some(P(p))]) => f8(p.length()?),
        ("path_area", [Some(P(p))]) => opt_f8(p.area()?),
        ("path_inter", [Some(P(p)), Some(P(q))]) => b(p.intersects(q)?),
        ("path_distance", [Some(P(p)), Some(P(q))]) => opt_f8(p.distance(q)?),
        ("path_add", [Some(P(p)), Some(P(q))]) => {
            if p.closed || q.closed {
                Datum::Null
            } else {
                let mut points = p.points.clone();
                points.extend_from_slice(&q.points);
                path(Path {
                    closed: false,
                    points,
                })
            }
        }
        ("path_add_pt", [Some(P(h)), Some(T(p))]) => path(h.map(|q| q.add(p))?),
        ("path_sub_pt", [Some(P(h)), Some(T(p))]) => path(h.map(|q| q.sub(p))?),
        ("path_mul_pt", [Some(P(h)), Some(T(p))]) => path(h.map(|q| q.mul(p))?),
        ("path_div_pt", [Some(P(h)), Some(T(p))]) => path(h.map(|q| q.div(p))?),
        ("path_poly", [Some(P(h))]) => {
            if !h.closed {
                return Err(PgError::new(
                    types::SqlState::InvalidParameterValue,
                    "open path cannot be converted to polygon",
                ));
            }
            poly(Polygon::new(h.points.clone()))
        }

        // polygons
        ("poly_left", [Some(Y(p)), Some(Y(q))]) => b(p.bound.high.x < q.bound.low.x),
        ("poly_overleft", [Some(Y(p)), Some(Y(q))]) => b(p.bound.high.x <= q.bound.high.x),
        ("poly_right", [Some(Y(p)), Some(Y(q))]) => b(p.bound.low.x > q.bound.high.x),
        ("poly_overright", [Some(Y(p)), Some(Y(q))]) => b(p.bound.low.x >= q.bound.low.x),
        ("poly_below", [Some(Y(p)), Some(Y(q))]) => b(p.bound.high.y < q.bound.low.y),
        ("poly_overbelow", [Some(Y(p)), Some(Y(q))]) => b(p.bound.high.y <= q.bound.high.y),
        ("poly_above", [Some(Y(p)), Some(Y(q))]) => b(p.bound.low.y > q.bound.high.y),
        ("poly_overabove", [Some(Y(p)), Some(Y(q))]) => b(p.bound.low.y >= q.bound.low.y),
        ("poly_same", [Some(Y(p)), Some(Y(q))]) => b(p.same(q)),
        ("poly_overlap", [Some(Y(p)), Some(Y(q))]) => b(p.overlaps(q)?),
        ("poly_contain", [Some(Y(p)), Some(Y(q))]) => b(p.contains(q)?),
        ("poly_contained", [Some(Y(p)), Some(Y(q))]) => b(q.contains(p)?),
        ("poly_contain_pt", [Some(Y(y)), Some(T(p))])
        | ("pt_contained_poly", [Some(T(p)), Some(Y(y))]) => b(y.contains_point(p)?),
        ("poly_distance", [Some(Y(p)), Some(Y(q))]) => opt_f8(p.distance(q)?),
        ("poly_npoints", [Some(Y(p))]) => Datum::Int4(p.points.len() as i32),
        ("poly_center", [Some(Y(p))]) => pt(p.to_circle()?.center),
        ("poly_box", [Some(Y(p))]) => bx(p.bound),
        ("poly_path", [Some(Y(p))]) => path(Path {
            closed: true,
            points: p.points.clone(),
        }),
        ("poly_circle", [Some(Y(p))]) => circ(p.to_circle()?),

        // circles
        ("circle_same", [Some(C(c)), Some(C(d))]) => b(c.same(d)),
        ("circle_overlap", [Some(C(c)), Some(C(d))]) => b(fp_le(
            point_dt(&c.center, &d.center)?,
            geo::pl(c.radius, d.radius)?,
        )),
        ("circle_overleft", [Some(C(c)), Some(C(d))]) => b(fp_le(
            geo::pl(c.center.x, c.radius)?,
            geo::pl(d.center.x, d.radius)?,
        )),
        ("circle_left", [Some(C(c)), Some(C(d))]) => b(fp_lt(
            geo::pl(c.center.x, c.radius)?,
            geo::mi(d.center.x, d.radius)?,
        )),
        ("circle_right", [Some(C(c)), Some(C(d))]) => b(fp_gt(
            geo::mi(c.center.x, c.radius)?,
            geo::pl(d.center.x, d.radius)?,
        )),
        ("circle_overright", [Some(C(c)), Some(C(d))]) => b(fp_ge(
            geo::mi(c.center.x, c.radius)?,
            geo::mi(d.center.x, d.radius)?,
        )),
        ("circle_contained", [Some(C(c)), Some(C(d))]) => b(fp_le(
            point_dt(&c.center, &d.center)?,
            geo::mi(d.radius, c.radius)?,
        )),
        ("circle_contain", [Some(C(c)), Some(C(d))]) => b(fp_le(
            point_dt(&c.center, &d.center)?,
            geo::mi(c.radius, d.radius)?,
        )),
        ("circle_below", [Some(C(c)), Some(C(d))]) => b(fp_lt(
            geo::pl(c.center.y, c.radius)?,
            geo::mi(d.center.y, d.radius)?,
        )),
        ("circle_above", [Some(C(c)), Some(C(d))]) => b(fp_gt(
            geo::mi(c.center.y, c.radius)?,
            geo::pl(d.center.y, d.radius)?,
        )),
        ("circle_overbelow", [Some(C(c)), Some(C(d))]) => b(fp_le(
            geo::pl(c.center.y, c.radius)?,
            geo::pl(d.center.y, d.radius)?,
        )),
        ("circle_overabove", [Some(C(c)), Some(C(d))]) => b(fp_ge(
            geo::mi(c.center.y, c.radius)?,
            geo::mi(d.center.y, d.radius)?,
        )),
        ("circle_eq", [Some(C(c)), Some(C(d))]) => b(fp_eq(c.area()?, d.area()?)),
        ("circle_ne", [Some(C(c)), Some(C(d))]) => b(fp_ne(c.area()?, d.area()?)),
        ("circle_lt", [Some(C(c)), Some(C(d))]) => b(fp_lt(c.area()?, d.area()?)),
        ("circle_gt", [Some(C(c)), Some(C(d))]) => b(fp_gt(c.area()?, d.area()?)),
        ("circle_le", [Some(C(c)), Some(C(d))]) => b(fp_le(c.area()?, d.area()?)),
        ("circle_ge", [Some(C(c)), Some(C(d))]) => b(fp_ge(c.area()?, d.area()?)),
        ("circle_add_pt", [Some(C(c)), Some(T(p))]) => circ(Circle {
            center: c.center.add(p)?,
            radius: c.radius,
        }),
        ("circle_sub_pt", [Some(C(c)), Some(T(p))]) => circ(Circle {
            center: c.center.sub(p)?,
            radius: c.radius,
        }),
        ("circle_mul_pt", [Some(C(c)), Some(T(p))]) => circ(Circle {
            center: c.center.mul(p)?,
            radius: geo::mul(c.radius, geo::hypot(p.x, p.y)?)?,
        }),
        ("circle_div_pt", [Some(C(c)), Some(T(p))]) => circ(Circle {
            center: c.center.div(p)?,
            radius: geo::div(c.radius, geo::hypot(p.x, p.y)?)?,
        }),
        ("circle_area", [Some(C(c))]) => f8(c.area()?),
        ("circle_diameter", [Some(C(c))]) => f8(geo::mul(c.radius, 2.0)?),
        ("circle_radius", [Some(C(c))]) => f8(c.radius),
        ("circle_distance", [Some(C(c)), Some(C(d))]) => {
            let r = geo::mi(
                point_dt(&c.center, &d.center)?,
                geo::pl(c.radius, d.radius)?,
            )?;
            f8(if r < 0.0 { 0.0 } else { r })
        }
        ("circle_contain_pt", [Some(C(c)), Some(T(p))])
        | ("pt_contained_circle", [Some(T(p)), Some(C(c))]) => {
            b(point_dt(&c.center, p)? <= c.radius)
        }
        ("circle_center", [Some(C(c))]) => pt(c.center),
        ("circle_box", [Some(C(c))]) => bx(c.to_box()?),
        _ => return Ok(None),
    };
    Ok(Some(r))
}

/// The casts between geometric types (`point(box)`, `polygon(path)`, ...).
pub fn cast(v: &Geo, to: u32) -> PgResult<Datum> {
    let name = match (v, to) {
        (Geo::Point(_), oid::BOX) => "point_box",
        (Geo::Lseg(_), oid::POINT) => "lseg_center",
        (Geo::Path(_), oid::POLYGON) => "path_poly",
        (Geo::Box(_), oid::POINT) => "box_center",
        (Geo::Box(_), oid::LSEG) => "box_diagonal",
        (Geo::Box(_), oid::POLYGON) => "box_poly",
        (Geo::Box(_), oid::CIRCLE) => "box_circle",
        (Geo::Polygon(_), oid::POINT) => "poly_center",
        (Geo::Polygon(_), oid::PATH) => "poly_path",
        (Geo::Polygon(_), oid::BOX) => "poly_box",
        (Geo::Polygon(_), oid::CIRCLE) => "poly_circle",
        (Geo::Circle(_), oid::POINT) => "circle_center",
        (Geo::Circle(_), oid::BOX) => "circle_box",
        (Geo::Circle(_), oid::POLYGON) => "circle_poly12",
        _ => return Ok(g(v)),
    };
    call(name, &[g(v)])?.ok_or_else(|| PgError::internal(format!("geometric cast {name}")))
}
