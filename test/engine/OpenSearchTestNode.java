import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.transport.TransportAddress;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.ingest.common.IngestCommonPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One single-node OpenSearch cluster for the tests, on 127.0.0.1, plain HTTP, with the modules
 * the project's requests need loaded from the classpath (the packaged server loads them from its
 * modules/ folder, which Maven Central does not serve).
 *
 * Usage: java -cp CLASSPATH OpenSearchTestNode STATE_DIR
 *
 * Keeps its data and logs in STATE_DIR, binds HTTP to a free port and, once started, writes
 * STATE_DIR/url (atomically) with "http://127.0.0.1:PORT". It stops when its standard input
 * reaches end of file, so it dies with the process that started it (which holds the pipe),
 * however that process ends, and then removes STATE_DIR; it also stops on SIGTERM.
 */
public final class OpenSearchTestNode {
  /** Node.Node(Environment, plugins, forbidPrivateIndexSettings) is protected: the test framework's MockNode does the same. */
  private static final class ClasspathNode extends Node {
    ClasspathNode(Settings settings) {
      super(
          InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "test-node"),
          List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, IngestCommonPlugin.class, PainlessPlugin.class),
          true);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: OpenSearchTestNode STATE_DIR");
      System.exit(2);
    }
    Path state = Path.of(args[0]).toAbsolutePath();
    Settings settings = Settings.builder()
        .put("cluster.name", "ci-log-analysis-test")
        .put("node.name", "test-node")
        .put("path.home", state.resolve("home").toString())
        .put("path.data", state.resolve("data").toString())
        .put("path.logs", state.resolve("logs").toString())
        .put("network.host", "127.0.0.1")
        .put("http.port", "0")
        .put("transport.port", "0")
        .put("discovery.type", "single-node")
        // The machine's disk is shared: a full disk must not turn the test indices read-only.
        .put("cluster.routing.allocation.disk.threshold_enabled", false)
        // The heap is small on purpose; the real-memory breaker would trip on the JVM's own garbage.
        .put("indices.breaker.total.use_real_memory", false)
        .build();
    Files.createDirectories(state.resolve("home"));

    Node node = new ClasspathNode(settings);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(node), "test-node-shutdown"));
    node.start();

    TransportAddress http = node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
    Path partial = state.resolve("url.partial");
    Files.writeString(partial, "http://127.0.0.1:" + http.getPort(), StandardCharsets.UTF_8);
    Files.move(partial, state.resolve("url"), StandardCopyOption.ATOMIC_MOVE);

    awaitEndOfInput(System.in);
    closeQuietly(node);
    deleteQuietly(state);
    Runtime.getRuntime().halt(0);
  }

  private static void awaitEndOfInput(InputStream in) {
    byte[] buffer = new byte[256];
    try {
      while (in.read(buffer) != -1) {
        // the parent writes nothing; only the end of the pipe matters
      }
    } catch (IOException e) {
      // a broken pipe is an end too
    }
  }

  /** The parent may have died without cleaning up: the node's data must not pile up in the temporary folder. */
  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      System.err.println("removing " + dir + ": " + e);
    }
  }

  private static void closeQuietly(Node node) {
    try {
      node.close();
    } catch (IOException | RuntimeException e) {
      System.err.println("closing the node: " + e);
    }
  }
}
