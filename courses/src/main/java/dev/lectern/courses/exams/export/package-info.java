/**
 * Exports of an exam's questions: GIFT and Moodle XML (byte for byte as Moodle's own exporter writes them, checked
 * against Moodle's test vectors), QTI 2.1 content packages, and PDFs (student copy and answer key) with embedded
 * Unicode fonts. XML is written with the JDK's StAX writer; no template engine, no XML library.
 */
package dev.lectern.courses.exams.export;
