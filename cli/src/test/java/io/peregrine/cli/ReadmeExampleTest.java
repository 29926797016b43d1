package io.peregrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

import io.peregrine.broker.Broker;
import io.peregrine.producer.Message;
import io.peregrine.producer.Producer;
import io.peregrine.producer.SendResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples in README.md compile against the real API, and the consumer examples read a real store, on its host
 * and over the network.
 */
@Timeout(60)
class ReadmeExampleTest
{
    @TempDir
    Path dir;

    @Test
    void shouldCompileTheReadmeExamplesAndRunTheConsumerOnAStore() throws Exception
    {
        final String readme = Files.readString(Path.of("..", "README.md"));
        final Matcher matcher = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        final List<String> classes = new ArrayList<>();
        while (matcher.find())
        {
            final String source = matcher.group(1);
            final Matcher className = Pattern.compile("public final class (\\w+)").matcher(source);
            assertTrue(className.find(), "each example declares a public class");
            final Path file = dir.resolve(className.group(1) + ".java");
            Files.writeString(file, source);
            final JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
            final StringWriter diagnostics = new StringWriter();
            final boolean ok = compiler.getTask(diagnostics, null, null,
                List.of("-Xlint:all", "-Werror", "-d", dir.toString(), "-cp", ManagementFactory.getRuntimeMXBean().getClassPath()),
                null, compiler.getStandardFileManager(null, null, null).getJavaFileObjects(file.toFile())).call();
            assertTrue(ok, "README example " + className.group(1) + " does not compile:\n" + diagnostics);
            classes.add(className.group(1));
        }
        assertEquals(List.of("SendOrders", "ConsumeOrders", "TailOrders"), classes);

        final Path store = dir.resolve("store");
        final List<SendResult> orders = new ArrayList<>();
        try (Broker broker = InProcess.broker(store, dir.resolve("aeron"));
            Producer producer = Producer.start(new Producer.Context().brokerChannel(broker.udpChannel())))
        {
            for (int i = 0; i < 3; i++)
            {
                orders.add(producer.send(new Message().topic("orders.eu").body(new byte[10 + i]), 20_000));
                producer.send(new Message().topic("audit").body(new byte[5]), 20_000);
            }
            final String out = runMain("ConsumeOrders", store.toString());
            final StringBuilder expected = new StringBuilder();
            for (int i = 0; i < 3; i++)
            {
                expected.append(orders.get(i).journalIndex()).append(' ').append(orders.get(i).msgId()).append(' ').append(10 + i)
                    .append(" bytes").append(System.lineSeparator());
            }
            assertEquals(expected.toString(), out, "the example prints the topic's messages beside the running broker");
            assertEquals("", runMain("ConsumeOrders", store.toString()), "run again, it resumes after what it committed");
            assertEquals(expected.toString(), runMain("TailOrders", broker.udpChannel(), "3"), "the network consumer prints the same");
            producer.send(new Message().topic("orders.eu").body(new byte[20]), 20_000);
            assertTrue(runMain("TailOrders", broker.udpChannel(), "1").endsWith(" 20 bytes" + System.lineSeparator()),
                "run again, it resumes after what it committed");
        }
        assertTrue(Files.isRegularFile(store.resolve("readers/billing.position")));
        assertTrue(Files.isRegularFile(store.resolve("readers/billing-remote.position")));
    }

    private String runMain(final String className, final String... args) throws Exception
    {
        final PrintStream stdout = System.out;
        final ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader()))
        {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            loader.loadClass(className).getMethod("main", String[].class).invoke(null, (Object)args);
        }
        finally
        {
            System.setOut(stdout);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
