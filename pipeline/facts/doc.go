// Package facts is the sheet of validated figures that generated words may
// use. The pipeline computes every number; a language model (or a
// template) only phrases them. Each fact has an id, so prose can cite it
// and Check can match every figure in the prose against the sheet.
//
// # What Check refuses
//
// Check reads text the way a person in chat would and reports each of:
//
//   - a figure (number, amount, percentage) that matches no fact;
//   - a date that matches no Date fact, or is no day at all (Feb 30);
//   - a mass mention: @channel, @here, @everyone, @group, Slack's
//     <!channel>, <!here>, <!everyone>, <!subteam^…>, Discord's role
//     mention <@&…>, also when spelled with fullwidth letters or with
//     zero-width characters inside;
//   - a link whose host is not Policy.AllowLinks or under one of them:
//     http(s)://…, www.…, Slack's <url|text>, markdown [text](url), bare
//     domains under common top-level domains (acme.com), mailto:, and any
//     javascript:, data: or relative target, which are never allowed. The
//     text of a link is read like any other text: [$9,999,999](allowed)
//     is still a figure.
//
// Before reading, text is folded: fullwidth forms become ASCII, digits of
// any script become 0-9, dashes become '-', and invisible characters
// (zero-width, joiners, bidi controls, combining marks) are dropped. A
// violation still quotes the text as written.
//
// # How a figure matches
//
// Formatting is free: 43400, 43,400, 43 400, $43,400, $43.4k, 43.4K,
// $0.04M, 43.4 thousand, 1.2 million all read as the numbers they write.
//
// Rounding is allowed to the precision written, and no further: the
// written number must equal the fact rounded to the digits shown, after
// k/M/B or thousand/million/billion scaling. A fact of 43,412 may be
// written $43.4k, $43k or $0.04M, but not 43,000 (an integer written in
// full is taken as exact); 1.53 days may be written 1.5 or 2, not 1.6. A
// fact that is not zero is never written as 0.
//
// The way a figure is written picks the kinds of fact it may match:
//
//   - with a currency sign or word ($, €, £, ¥, USD, EUR, GBP, dollars): Money facts;
//   - with % or "percent": Percent facts, times 100 (0.934 is 93% or 93.4%);
//   - with hours (h, hr, hrs, hours): Hours facts, or Days facts times 24;
//   - with days (d, day, days, business days): Days facts, or Hours facts
//     divided by 24 (a time to impact of 72 h may be written 3 days, and 19 h
//     as 0.8 days or 1 day);
//   - with weeks: Days facts divided by 7, Hours facts by 168;
//   - bare: any Count, Money, Days or Hours fact, or a Percent fact as a
//     fraction (0.934 is 0.93).
//
// A bare four-digit number is also the year of a Date fact, and a bare
// integer is also a numeric identifier that a trusted Text fact holds
// (PO 778). Negative numbers keep their sign. A range writes its unit,
// scale, currency or percent once and both ends are checked with it:
// "3-5 days", "$40-45k", "90-95%". "43 400" may also be read as 43 and
// 400 when both match.
//
// # How a date matches
//
// A Date fact 2026-12-03 matches 2026-12-03, 2026/12/03, Dec 3, Dec. 3,
// December 3rd, 3 Dec, 3rd of December, 3 December 2026, December 3, 2026,
// December 2026, 12/03 and 03/12 (numeric dates are read both ways),
// 12/03/2026 and 3.12.2026. A different day, or a written year that
// differs, does not. Weekday names are words and are not checked; times of
// day are read as figures and so match nothing unless a fact holds them.
//
// # What is not a figure
//
//   - fact citations: [F3], [F3, F7];
//   - list markers at the start of a line: "1.", "2)";
//   - identifiers: a word that starts with a letter, holds a digit and has
//     an underscore (stockout_risk/abc123#2), an @ between letters
//     (SKU-1@DC-EAST), a part mixing letters and digits (F12, abc123#2,
//     qm-4f81030b1c2084a2-1), or an upper-case prefix (SKU-1001, PO-778,
//     DC-EAST-2); also any word of a trusted Text fact, and any trusted Text
//     fact written out whole (a site named "3PL EAST 2"). A lower-case word
//     glued to a number is not an identifier: the 9999999 of
//     "risk/9999999" or "risk#9999999" is a figure;
//   - words: "one", "two" and other spelled-out numbers are not read.
//
// Untrusted Text facts (partner notes, reasons, names) give no such
// pass: a figure quoted from a note must still match a fact.
package facts
