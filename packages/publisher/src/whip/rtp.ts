// RTP packets (RFC 3550) as they arrive on a WebRTC track: the fixed header, CSRCs, a header
// extension and padding are skipped to the payload. Pure.

export interface RtpPacket {
  payloadType: number;
  /** 16-bit sequence number. */
  sequence: number;
  /** 32-bit media timestamp (90 kHz for video). */
  timestamp: number;
  /** Set on the last packet of a video frame. */
  marker: boolean;
  ssrc: number;
  payload: Buffer;
}

/** Whether a datagram on a muxed RTP/RTCP port is RTCP (RFC 5761: packet types 192-223). */
export function isRtcp(data: Buffer): boolean {
  return data.length >= 2 && data[1]! >= 192 && data[1]! <= 223;
}

/** The packet, or undefined when `data` is not a well-formed RTP version 2 packet. */
export function parseRtp(data: Buffer): RtpPacket | undefined {
  if (data.length < 12 || data[0]! >> 6 !== 2 || isRtcp(data)) return undefined;
  const csrcs = data[0]! & 0x0f;
  let offset = 12 + csrcs * 4;
  if (data[0]! & 0x10) {
    if (data.length < offset + 4) return undefined;
    offset += 4 + data.readUInt16BE(offset + 2) * 4;
  }
  let end = data.length;
  if (data[0]! & 0x20) end -= data[end - 1]!;
  if (offset > end) return undefined;
  return {
    payloadType: data[1]! & 0x7f,
    sequence: data.readUInt16BE(2),
    timestamp: data.readUInt32BE(4),
    marker: (data[1]! & 0x80) !== 0,
    ssrc: data.readUInt32BE(8),
    payload: data.subarray(offset, end),
  };
}

/** Builds a packet; for tests and for anyone sending RTP. */
export function buildRtp(packet: Omit<RtpPacket, 'ssrc'> & { ssrc?: number }): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = (packet.marker ? 0x80 : 0) | (packet.payloadType & 0x7f);
  header.writeUInt16BE(packet.sequence & 0xffff, 2);
  header.writeUInt32BE(packet.timestamp >>> 0, 4);
  header.writeUInt32BE((packet.ssrc ?? 0x1234) >>> 0, 8);
  return Buffer.concat([header, packet.payload]);
}
