package dev.databaseunit.operator.gdpr;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.databaseunit.operator.api.v1alpha1.GdprRequestSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes every row of a subject from every subject table, read in one REPEATABLE READ READ ONLY snapshot and
 * streamed through a server-side cursor (autocommit off + fetch size), so memory does not grow with the
 * subject's data. JSON is one document grouped by table; CSV is one file per table in a zip. pgvector values
 * become arrays of numbers (JSON) or their {@code [..]} text (CSV); json/jsonb columns stay JSON.
 */
public final class SubjectExporter {
  static final int FETCH_SIZE = 500;
  private static final JsonFactory JSON = new JsonFactory();

  private SubjectExporter() {}

  /** Writes the export to {@code out} (not closed) and returns the rows per table. */
  public static Map<String, Long> export(Connection connection, SubjectPlan plan, String subjectId, String subjectHash,
      GdprRequestSpec.Format format, Instant exportedAt, OutputStream out) throws SQLException, IOException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try {
      try (var s = connection.createStatement()) {
        s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      }
      Map<String, Long> counts = format == GdprRequestSpec.Format.CSV
          ? csv(connection, plan, subjectId, out)
          : json(connection, plan, subjectId, subjectHash, exportedAt, out);
      connection.commit();
      return counts;
    } catch (SQLException | IOException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  /** Parents before children: the reverse of the deletion order reads naturally (users, then their recipes). */
  private static List<SubjectPlan.SubjectTable> readingOrder(SubjectPlan plan) {
    return plan.tables().reversed();
  }

  private interface RowSink {
    void row(ResultSet rs, ResultSetMetaData meta) throws SQLException, IOException;
  }

  private static long eachRow(Connection connection, SubjectPlan.SubjectTable table, String subjectId,
      RowSink header, RowSink sink) throws SQLException, IOException {
    try (var ps = connection.prepareStatement(SubjectSql.select(table))) {
      ps.setFetchSize(FETCH_SIZE);
      SubjectSql.bindSubject(ps, subjectId);
      try (var rs = ps.executeQuery()) {
        var meta = rs.getMetaData();
        header.row(rs, meta);
        long rows = 0;
        while (rs.next()) {
          sink.row(rs, meta);
          rows++;
        }
        return rows;
      }
    }
  }

  private static Map<String, Long> json(Connection connection, SubjectPlan plan, String subjectId, String subjectHash,
      Instant exportedAt, OutputStream out) throws SQLException, IOException {
    Map<String, Long> counts = new LinkedHashMap<>();
    JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8);
    json.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
    json.writeStartObject();
    json.writeStringField("subjectHash", subjectHash);
    json.writeStringField("exportedAt", exportedAt.toString());
    json.writeObjectFieldStart("tables");
    for (var table : readingOrder(plan)) {
      json.writeArrayFieldStart(table.table());
      counts.put(table.table(), eachRow(connection, table, subjectId, (rs, meta) -> {}, (rs, meta) -> {
        json.writeStartObject();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          json.writeFieldName(meta.getColumnLabel(i));
          writeJsonValue(json, rs, meta, i);
        }
        json.writeEndObject();
      }));
      json.writeEndArray();
    }
    json.writeEndObject();
    json.writeEndObject();
    json.close();
    return counts;
  }

  private static void writeJsonValue(JsonGenerator json, ResultSet rs, ResultSetMetaData meta, int i)
      throws SQLException, IOException {
    String typeName = meta.getColumnTypeName(i);
    switch (meta.getColumnType(i)) {
      case Types.BIGINT, Types.INTEGER, Types.SMALLINT, Types.TINYINT -> {
        long v = rs.getLong(i);
        if (rs.wasNull()) {
          json.writeNull();
        } else {
          json.writeNumber(v);
        }
      }
      case Types.NUMERIC, Types.DECIMAL, Types.REAL, Types.DOUBLE, Types.FLOAT -> {
        var v = rs.getBigDecimal(i);
        if (v == null) {
          json.writeNull();
        } else {
          json.writeNumber(v);
        }
      }
      case Types.BOOLEAN, Types.BIT -> {
        boolean v = rs.getBoolean(i);
        if (rs.wasNull()) {
          json.writeNull();
        } else {
          json.writeBoolean(v);
        }
      }
      case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY -> {
        byte[] v = rs.getBytes(i);
        if (v == null) {
          json.writeNull();
        } else {
          json.writeString(Base64.getEncoder().encodeToString(v));
        }
      }
      default -> {
        String v = rs.getString(i);
        if (v == null) {
          json.writeNull();
        } else if ("vector".equals(typeName)) {
          writeVector(json, v);
        } else if ("json".equals(typeName) || "jsonb".equals(typeName)) {
          json.writeRawValue(v);
        } else {
          json.writeString(v);
        }
      }
    }
  }

  /** pgvector's text form {@code [0.1,-2e-05,...]} as a JSON array of numbers. */
  private static void writeVector(JsonGenerator json, String text) throws IOException {
    json.writeStartArray();
    String body = text.substring(1, text.length() - 1);
    if (!body.isEmpty()) {
      for (String element : body.split(",")) {
        json.writeNumber(Float.parseFloat(element));
      }
    }
    json.writeEndArray();
  }

  private static Map<String, Long> csv(Connection connection, SubjectPlan plan, String subjectId, OutputStream out)
      throws SQLException, IOException {
    Map<String, Long> counts = new LinkedHashMap<>();
    var zip = new ZipOutputStream(out, StandardCharsets.UTF_8);
    Writer writer = new OutputStreamWriter(zip, StandardCharsets.UTF_8);
    for (var table : readingOrder(plan)) {
      zip.putNextEntry(new ZipEntry(table.table() + ".csv"));
      counts.put(table.table(), eachRow(connection, table, subjectId, (rs, meta) -> {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          names.add(meta.getColumnLabel(i));
        }
        writeCsvLine(writer, names);
      }, (rs, meta) -> {
        List<String> values = new ArrayList<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          values.add(rs.getString(i));
        }
        writeCsvLine(writer, values);
      }));
      writer.flush();
      zip.closeEntry();
    }
    zip.finish();
    return counts;
  }

  /** A cell a spreadsheet would run as a formula (OWASP's CSV injection list); plain numbers are left as they are. */
  private static final java.util.regex.Pattern FORMULA_START = java.util.regex.Pattern.compile("^[=+\\-@\t\r]");
  private static final java.util.regex.Pattern NUMBER = java.util.regex.Pattern.compile("^[-+]?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$");

  /**
   * RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled; SQL NULL is an empty field. A cell
   * starting with = + - @ (or a tab or carriage return) that is not a plain number gets a leading apostrophe, so a
   * spreadsheet shows the text instead of running it as a formula: an export is opened by the subject or a clerk.
   */
  static void writeCsvLine(Writer writer, List<String> values) throws IOException {
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        writer.write(',');
      }
      String v = values.get(i);
      if (v == null) {
        continue;
      }
      if (FORMULA_START.matcher(v).find() && !NUMBER.matcher(v).matches()) {
        v = "'" + v;
      }
      if (v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
        writer.write('"');
        writer.write(v.replace("\"", "\"\""));
        writer.write('"');
      } else {
        writer.write(v);
      }
    }
    writer.write("\r\n");
  }
}
