package dev.databaseunit.operator.gdpr;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** CSV cells an export's reader would open in a spreadsheet. */
class SubjectExporterTest {

  @Test
  void cellsAFormulaCouldStartWithAreNeutralisedAndNumbersAreNot() throws Exception {
    assertThat(line("=HYPERLINK(\"https://attacker.example\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"))
        .isEqualTo("\"'=HYPERLINK(\"\"https://attacker.example\"\")\",'+1+cmd|' /C calc'!A0,'-2+3,'@SUM(A1),'\tx,\"'\rx\"\r\n");
    assertThat(line("-5", "+3.25", "-1.5e-3", "alice@example.com", "a=b", null, "")).isEqualTo("-5,+3.25,-1.5e-3,alice@example.com,a=b,,\r\n");
  }

  private static String line(String... values) throws Exception {
    var out = new StringWriter();
    SubjectExporter.writeCsvLine(out, Arrays.asList(values));
    return out.toString();
  }
}
