package dev.databaseunit.operator.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One bench's part of a results file shared by several benches: the text between {@code <!-- name -->} and
 * {@code <!-- /name -->} is replaced (or appended with its markers), the rest, other benches' sections and notes
 * added by hand, is kept.
 */
final class ResultSection {
  private ResultSection() {}

  static void write(Path file, String name, String text) throws IOException {
    String open = "<!-- " + name + " -->\n";
    String close = "<!-- /" + name + " -->\n";
    String section = open + text.strip() + "\n" + close;
    String content = Files.exists(file) ? Files.readString(file) : "";
    int from = content.indexOf(open);
    int to = content.indexOf(close);
    if (from >= 0 && to > from) {
      content = content.substring(0, from) + section + content.substring(to + close.length());
    } else {
      content = content + (content.isEmpty() || content.endsWith("\n\n") ? "" : "\n") + section;
    }
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
  }
}
