using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Commerce.Runtime.Messaging;

/// <summary>The kinds of frame on a silo connection.</summary>
internal enum FrameKind : byte
{
    Hello = 1,
    Request = 2,
    Response = 3,
    Ping = 4,
    Pong = 5,

    /// <summary>The sender is leaving: send it no new calls (it answers those already sent).</summary>
    GoAway = 6,
}

/// <summary>How a call ended, as told by the callee.</summary>
internal enum ResponseStatus : byte
{
    Ok = 0,
    Failed = 1,

    /// <summary>The callee does not own the grain's partition (any more): the call did not run; route again.</summary>
    NotOwner = 2,
}

/// <summary>
/// Length-prefixed binary frames: [int32 length][byte kind][body]. Integers are little-endian;
/// strings are an int32 byte count and UTF-8. Arguments and results travel as JSON (the runtime's
/// serializer), after the binary header.
/// </summary>
internal static class WireFrames
{
    public const int MaxFrameBytes = 16 * 1024 * 1024;

    /// <summary>Reads one frame from <paramref name="buffer"/> if it holds a whole one.</summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out FrameKind kind, out ReadOnlySequence<byte> body)
    {
        kind = default;
        body = default;
        if (buffer.Length < 5)
        {
            return false;
        }
        Span<byte> header = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(header);
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length < 1 || length > MaxFrameBytes)
        {
            throw new InvalidDataException($"Frame of {length} bytes is out of bounds; the peer does not speak this protocol.");
        }
        if (buffer.Length < 4 + length)
        {
            return false;
        }
        kind = (FrameKind)header[4];
        body = buffer.Slice(5, length - 1);
        buffer = buffer.Slice(4 + length);
        return true;
    }

    /// <summary>Writes a frame whose body was built in <paramref name="body"/>.</summary>
    public static void WriteFrame(IBufferWriter<byte> output, FrameKind kind, ReadOnlySpan<byte> body)
    {
        var span = output.GetSpan(5 + body.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span, body.Length + 1);
        span[4] = (byte)kind;
        body.CopyTo(span[5..]);
        output.Advance(5 + body.Length);
    }
}

/// <summary>Builds a frame body into a reusable buffer.</summary>
internal sealed class FrameBodyWriter
{
    public ArrayBufferWriter<byte> Buffer { get; } = new(256);

    public void Reset() => Buffer.ResetWrittenCount();

    public void Write(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(Buffer.GetSpan(8), value);
        Buffer.Advance(8);
    }

    public void Write(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(Buffer.GetSpan(4), value);
        Buffer.Advance(4);
    }

    public void Write(byte value)
    {
        Buffer.GetSpan(1)[0] = value;
        Buffer.Advance(1);
    }

    public void Write(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        Write(count);
        Encoding.UTF8.GetBytes(value, Buffer.GetSpan(count));
        Buffer.Advance(count);
    }
}

/// <summary>Reads a frame body written by <see cref="FrameBodyWriter"/>.</summary>
internal ref struct FrameBodyReader(ReadOnlySpan<byte> body)
{
    private ReadOnlySpan<byte> _rest = body;

    public readonly ReadOnlySpan<byte> Rest => _rest;

    public long ReadInt64()
    {
        var value = BinaryPrimitives.ReadInt64LittleEndian(_rest);
        _rest = _rest[8..];
        return value;
    }

    public int ReadInt32()
    {
        var value = BinaryPrimitives.ReadInt32LittleEndian(_rest);
        _rest = _rest[4..];
        return value;
    }

    public byte ReadByte()
    {
        var value = _rest[0];
        _rest = _rest[1..];
        return value;
    }

    public string ReadString()
    {
        var count = ReadInt32();
        var value = Encoding.UTF8.GetString(_rest[..count]);
        _rest = _rest[count..];
        return value;
    }
}
