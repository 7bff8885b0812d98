import java.io.File;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

/**
 * Interop check against the reference Java HdrHistogram (used by src/hlog.int.test.ts).
 *
 * <pre>
 *   java -cp HdrHistogram.jar:. HlogCheck &lt;file.hlog&gt;          read an interval log
 *   java -cp HdrHistogram.jar:. HlogCheck --base64 &lt;string&gt;     decode one compressed histogram
 *   java -cp HdrHistogram.jar:. HlogCheck --encode &lt;value&gt;...   encode values (1 us..60 s, 3 digits)
 * </pre>
 *
 * The first two print one JSON line with the figures of the (accumulated) histogram; any parse
 * failure exits non-zero. The Java reader stops silently (returns null) at a malformed interval
 * line, so the data lines of the file are counted separately and a shortfall is a failure too.
 */
public final class HlogCheck {
  private HlogCheck() {}

  public static void main(String[] args) {
    try {
      if (args.length == 1 && !args[0].startsWith("--")) {
        readLog(args[0]);
      } else if (args.length == 2 && args[0].equals("--base64")) {
        readBase64(args[1]);
      } else if (args.length >= 1 && args[0].equals("--encode")) {
        encode(args);
      } else {
        System.err.println(
            "usage: HlogCheck <file.hlog> | HlogCheck --base64 <histogram> | HlogCheck --encode <value>...");
        System.exit(64);
      }
    } catch (Throwable e) {
      System.err.println("HlogCheck: " + e);
      System.exit(1);
    }
  }

  private static void readLog(String path) throws Exception {
    int dataLines = 0;
    for (String line : Files.readAllLines(new File(path).toPath(), StandardCharsets.UTF_8)) {
      String trimmed = line.trim();
      if (!trimmed.isEmpty() && !trimmed.startsWith("#") && !trimmed.startsWith("\"StartTimestamp\"")) {
        dataLines++;
      }
    }

    Histogram total = null;
    List<Long> counts = new ArrayList<>();
    List<Long> startMs = new ArrayList<>();
    List<Long> endMs = new ArrayList<>();
    double startTimeSec;
    try (HistogramLogReader reader = new HistogramLogReader(path)) {
      for (EncodableHistogram encodable; (encodable = reader.nextIntervalHistogram()) != null; ) {
        if (!(encodable instanceof Histogram)) {
          throw new IllegalStateException("interval is not an integer Histogram: " + encodable.getClass());
        }
        Histogram interval = (Histogram) encodable;
        counts.add(interval.getTotalCount());
        startMs.add(interval.getStartTimeStamp());
        endMs.add(interval.getEndTimeStamp());
        if (total == null) {
          total = interval.copy();
          total.setAutoResize(true);
        } else {
          total.add(interval);
        }
      }
      startTimeSec = reader.getStartTimeSec();
    }
    if (counts.size() != dataLines) {
      throw new IllegalStateException(
          "reader returned " + counts.size() + " intervals but the file has " + dataLines + " data lines");
    }
    if (total == null) total = new Histogram(3);

    StringBuilder json = new StringBuilder("{\"mode\":\"hlog\"");
    json.append(",\"intervals\":").append(counts.size());
    json.append(",\"startTimeSec\":").append(plain(startTimeSec));
    appendFigures(json, total);
    json.append(",\"intervalCounts\":").append(counts);
    json.append(",\"intervalStartMs\":").append(startMs);
    json.append(",\"intervalEndMs\":").append(endMs);
    System.out.println(json.append('}'));
  }

  private static void readBase64(String encoded) throws Exception {
    ByteBuffer buffer = ByteBuffer.wrap(Base64.getDecoder().decode(encoded.trim()));
    Histogram histogram = Histogram.decodeFromCompressedByteBuffer(buffer, 0);
    StringBuilder json = new StringBuilder("{\"mode\":\"base64\"");
    json.append(",\"intervals\":1");
    appendFigures(json, histogram);
    json.append(",\"lowestDiscernibleValue\":").append(histogram.getLowestDiscernibleValue());
    json.append(",\"highestTrackableValue\":").append(histogram.getHighestTrackableValue());
    json.append(",\"significantDigits\":").append(histogram.getNumberOfSignificantValueDigits());
    System.out.println(json.append('}'));
  }

  private static void encode(String[] args) {
    Histogram histogram = new Histogram(1, 60_000_000, 3);
    for (int i = 1; i < args.length; i++) histogram.recordValue(Long.parseLong(args[i]));
    ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
    int length = histogram.encodeIntoCompressedByteBuffer(buffer);
    byte[] bytes = new byte[length];
    buffer.rewind();
    buffer.get(bytes);
    System.out.println(Base64.getEncoder().encodeToString(bytes));
  }

  private static void appendFigures(StringBuilder json, AbstractHistogram h) {
    boolean empty = h.getTotalCount() == 0;
    json.append(",\"totalCount\":").append(h.getTotalCount());
    json.append(",\"minValue\":").append(empty ? 0 : h.getMinNonZeroValue());
    json.append(",\"maxValue\":").append(h.getMaxValue());
    json.append(",\"p50\":").append(h.getValueAtPercentile(50.0));
    json.append(",\"p99\":").append(h.getValueAtPercentile(99.0));
    json.append(",\"p999\":").append(h.getValueAtPercentile(99.9));
    json.append(",\"mean\":").append(String.format(Locale.ROOT, "%.3f", h.getMean()));
  }

  private static String plain(double value) {
    return BigDecimal.valueOf(value).toPlainString();
  }
}
