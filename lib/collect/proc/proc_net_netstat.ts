/**
 * /proc/net/netstat, /proc/net/snmp and /proc/net/snmp6: system.ip,
 * system.ipv6 and the ip.*, ipv4.* and ipv6.* charts, as netdata 1.37's
 * proc_net_netstat.c (module "/proc/net/netstat") makes them. The three
 * files are read in one pass: netstat's IpExt and TcpExt line pairs,
 * snmp's Ip, Icmp, IcmpMsg, Tcp, Udp and UdpLite pairs, snmp6's
 * `name value` lines. A counter absent from a file keeps its last value,
 * as netdata's static variables do.
 *
 * Every chart is netdata's "auto" (the default of each of its
 * `[plugin:proc:/proc/net/netstat]`, `[plugin:proc:/proc/net/snmp]` and
 * `[plugin:proc:/proc/net/snmp6]` options, which skiff does not read):
 * a group of charts is made once one of the counters netdata tests is not
 * zero, then collected at each pass. Those are not always the charted
 * ones: ip.inerrors does not look at InCsumErrors, ip.tcpofo not at
 * OfoPruned, ipv4.tcphandshake not at TCPSynRetrans, and
 * ipv6.udpliteerrors does look at Udp6InCsumErrors. All of a chart's
 * dimensions are made with it (ipv4.icmpmsg's 20 too). netdata's
 * `[global] enable zero metrics` (default no) is not read.
 *
 * As netdata 1.37, a missing /proc/net/snmp or /proc/net/snmp6 (a kernel
 * without IPv6) means no chart at all. The `tcp_max_connections` host
 * variable netdata keeps from Tcp MaxConn is not.
 *
 * @module
 */

import type { ChartSpec, DimSpec, ProcContext, ProcModule } from "./context.ts";

const MODULE = "/proc/net/netstat";
const SNMP = "/proc/net/snmp";
const SNMP6 = "/proc/net/snmp6";
const ALSO_READ = [SNMP, SNMP6];

/** netdata's BITS_IN_A_KILOBIT: bandwidth charts are bytes * 8 / 1000. */
const KILOBIT = 1000;

/** The line-pair sections of /proc/net/netstat netdata reads. */
const NETSTAT_SECTIONS = ["IpExt", "TcpExt"];
/** The line-pair sections of /proc/net/snmp netdata reads. */
const SNMP_SECTIONS = ["Ip", "Icmp", "IcmpMsg", "Tcp", "Udp", "UdpLite"];

/**
 * A counter: `Section.Name` of /proc/net/netstat (`TcpExt.ListenDrops`)
 * or /proc/net/snmp (`Tcp.CurrEstab`), or a /proc/net/snmp6 name
 * (`Ip6InOctets`).
 */
type Counter = string;

/** A dimension: the counter it charts, its id, multiplier and name. */
type Dim = [counter: Counter, id: string, multiplier: number, name?: string];

/** A chart of the module; line, 1 and incremental unless said. */
interface NetstatChart {
  id: string;
  title: string;
  units: string;
  family: string;
  priority: number;
  chartType?: "area";
  detail?: boolean;
  /** Of every dimension: KILOBIT for the bandwidth charts. */
  divisor?: number;
  algorithm?: "absolute";
  dims: Dim[];
}

/** Charts netdata makes under one of its options, and when. */
interface Group {
  /** Any not zero makes the charts (netdata's "auto"). */
  when: Counter[];
  charts: NetstatChart[];
  /**
   * netdata 1.37's typo: the flag it sets when `when` holds is not this
   * group's but that of the group making this chart. So this group is
   * tested again at every pass (its charts are collected only while
   * `when` holds) and that group's charts are made from the next pass
   * on, zero or not.
   */
  setsFlagOf?: string;
}

/** The charts, in netdata's order (its option names in comments). */
const GROUPS: Group[] = [
  // [plugin:proc:/proc/net/netstat] bandwidth
  {
    when: ["IpExt.InOctets", "IpExt.OutOctets"],
    charts: [{
      id: "system.ip",
      title: "IP Bandwidth",
      units: "kilobits/s",
      family: "network",
      priority: 501,
      chartType: "area",
      divisor: KILOBIT,
      dims: [
        ["IpExt.InOctets", "InOctets", 8, "received"],
        ["IpExt.OutOctets", "OutOctets", -8, "sent"],
      ],
    }],
  },
  // input errors
  {
    when: ["IpExt.InNoRoutes", "IpExt.InTruncatedPkts"],
    charts: [{
      id: "ip.inerrors",
      title: "IP Input Errors",
      units: "packets/s",
      family: "errors",
      priority: 4100,
      detail: true,
      dims: [
        ["IpExt.InNoRoutes", "InNoRoutes", 1, "noroutes"],
        ["IpExt.InTruncatedPkts", "InTruncatedPkts", 1, "truncated"],
        ["IpExt.InCsumErrors", "InCsumErrors", 1, "checksum"],
      ],
    }],
  },
  // multicast bandwidth
  {
    when: ["IpExt.InMcastOctets", "IpExt.OutMcastOctets"],
    charts: [{
      id: "ip.mcast",
      title: "IP Multicast Bandwidth",
      units: "kilobits/s",
      family: "multicast",
      priority: 4600,
      chartType: "area",
      detail: true,
      divisor: KILOBIT,
      dims: [
        ["IpExt.InMcastOctets", "InMcastOctets", 8, "received"],
        ["IpExt.OutMcastOctets", "OutMcastOctets", -8, "sent"],
      ],
    }],
  },
  // broadcast bandwidth
  {
    when: ["IpExt.InBcastOctets", "IpExt.OutBcastOctets"],
    charts: [{
      id: "ip.bcast",
      title: "IP Broadcast Bandwidth",
      units: "kilobits/s",
      family: "broadcast",
      priority: 4500,
      chartType: "area",
      detail: true,
      divisor: KILOBIT,
      dims: [
        ["IpExt.InBcastOctets", "InBcastOctets", 8, "received"],
        ["IpExt.OutBcastOctets", "OutBcastOctets", -8, "sent"],
      ],
    }],
  },
  // multicast packets
  {
    when: ["IpExt.InMcastPkts", "IpExt.OutMcastPkts"],
    charts: [{
      id: "ip.mcastpkts",
      title: "IP Multicast Packets",
      units: "packets/s",
      family: "multicast",
      priority: 4610,
      detail: true,
      dims: [
        ["IpExt.InMcastPkts", "InMcastPkts", 1, "received"],
        ["IpExt.OutMcastPkts", "OutMcastPkts", -1, "sent"],
      ],
    }],
  },
  // broadcast packets
  {
    when: ["IpExt.InBcastPkts", "IpExt.OutBcastPkts"],
    charts: [{
      id: "ip.bcastpkts",
      title: "IP Broadcast Packets",
      units: "packets/s",
      family: "broadcast",
      priority: 4510,
      detail: true,
      dims: [
        ["IpExt.InBcastPkts", "InBcastPkts", 1, "received"],
        ["IpExt.OutBcastPkts", "OutBcastPkts", -1, "sent"],
      ],
    }],
  },
  // ECN packets
  {
    when: [
      "IpExt.InCEPkts",
      "IpExt.InECT0Pkts",
      "IpExt.InECT1Pkts",
      "IpExt.InNoECTPkts",
    ],
    charts: [{
      id: "ip.ecnpkts",
      title: "IP ECN Statistics",
      units: "packets/s",
      family: "ecn",
      priority: 4700,
      detail: true,
      dims: [
        ["IpExt.InCEPkts", "InCEPkts", 1, "CEP"],
        ["IpExt.InNoECTPkts", "InNoECTPkts", -1, "NoECTP"],
        ["IpExt.InECT0Pkts", "InECT0Pkts", 1, "ECTP0"],
        ["IpExt.InECT1Pkts", "InECT1Pkts", 1, "ECTP1"],
      ],
    }],
  },
  // TCP memory pressures
  {
    when: ["TcpExt.TCPMemoryPressures"],
    charts: [{
      id: "ip.tcpmemorypressures",
      title: "TCP Memory Pressures",
      units: "events/s",
      family: "tcp",
      priority: 4290,
      dims: [[
        "TcpExt.TCPMemoryPressures",
        "TCPMemoryPressures",
        1,
        "pressures",
      ]],
    }],
  },
  // TCP connection aborts
  {
    when: [
      "TcpExt.TCPAbortOnData",
      "TcpExt.TCPAbortOnClose",
      "TcpExt.TCPAbortOnMemory",
      "TcpExt.TCPAbortOnTimeout",
      "TcpExt.TCPAbortOnLinger",
      "TcpExt.TCPAbortFailed",
    ],
    charts: [{
      id: "ip.tcpconnaborts",
      title: "TCP Connection Aborts",
      units: "connections/s",
      family: "tcp",
      priority: 4210,
      dims: [
        ["TcpExt.TCPAbortOnData", "TCPAbortOnData", 1, "baddata"],
        ["TcpExt.TCPAbortOnClose", "TCPAbortOnClose", 1, "userclosed"],
        ["TcpExt.TCPAbortOnMemory", "TCPAbortOnMemory", 1, "nomemory"],
        ["TcpExt.TCPAbortOnTimeout", "TCPAbortOnTimeout", 1, "timeout"],
        ["TcpExt.TCPAbortOnLinger", "TCPAbortOnLinger", 1, "linger"],
        ["TcpExt.TCPAbortFailed", "TCPAbortFailed", -1, "failed"],
      ],
    }],
  },
  // TCP reorders
  {
    when: [
      "TcpExt.TCPRenoReorder",
      "TcpExt.TCPFACKReorder",
      "TcpExt.TCPSACKReorder",
      "TcpExt.TCPTSReorder",
    ],
    charts: [{
      id: "ip.tcpreorders",
      title: "TCP Reordered Packets by Detection Method",
      units: "packets/s",
      family: "tcp",
      priority: 4220,
      dims: [
        ["TcpExt.TCPTSReorder", "TCPTSReorder", 1, "timestamp"],
        ["TcpExt.TCPSACKReorder", "TCPSACKReorder", 1, "sack"],
        ["TcpExt.TCPFACKReorder", "TCPFACKReorder", 1, "fack"],
        ["TcpExt.TCPRenoReorder", "TCPRenoReorder", 1, "reno"],
      ],
    }],
  },
  // TCP out-of-order queue
  {
    when: ["TcpExt.TCPOFOQueue", "TcpExt.TCPOFODrop", "TcpExt.TCPOFOMerge"],
    charts: [{
      id: "ip.tcpofo",
      title: "TCP Out-Of-Order Queue",
      units: "packets/s",
      family: "tcp",
      priority: 4250,
      dims: [
        ["TcpExt.TCPOFOQueue", "TCPOFOQueue", 1, "inqueue"],
        ["TcpExt.TCPOFODrop", "TCPOFODrop", -1, "dropped"],
        ["TcpExt.TCPOFOMerge", "TCPOFOMerge", 1, "merged"],
        ["TcpExt.OfoPruned", "OfoPruned", -1, "pruned"],
      ],
    }],
  },
  // TCP SYN cookies
  {
    when: [
      "TcpExt.SyncookiesSent",
      "TcpExt.SyncookiesRecv",
      "TcpExt.SyncookiesFailed",
    ],
    charts: [{
      id: "ip.tcpsyncookies",
      title: "TCP SYN Cookies",
      units: "packets/s",
      family: "tcp",
      priority: 4260,
      dims: [
        ["TcpExt.SyncookiesRecv", "SyncookiesRecv", 1, "received"],
        ["TcpExt.SyncookiesSent", "SyncookiesSent", -1, "sent"],
        ["TcpExt.SyncookiesFailed", "SyncookiesFailed", -1, "failed"],
      ],
    }],
  },
  // TCP SYN queue
  {
    when: ["TcpExt.TCPReqQFullDrop", "TcpExt.TCPReqQFullDoCookies"],
    charts: [{
      id: "ip.tcp_syn_queue",
      title: "TCP SYN Queue Issues",
      units: "packets/s",
      family: "tcp",
      priority: 4215,
      dims: [
        ["TcpExt.TCPReqQFullDrop", "TCPReqQFullDrop", 1, "drops"],
        ["TcpExt.TCPReqQFullDoCookies", "TCPReqQFullDoCookies", 1, "cookies"],
      ],
    }],
  },
  // TCP accept queue
  {
    when: ["TcpExt.ListenOverflows", "TcpExt.ListenDrops"],
    charts: [{
      id: "ip.tcp_accept_queue",
      title: "TCP Accept Queue Issues",
      units: "packets/s",
      family: "tcp",
      priority: 4216,
      dims: [
        ["TcpExt.ListenOverflows", "ListenOverflows", 1, "overflows"],
        ["TcpExt.ListenDrops", "ListenDrops", 1, "drops"],
      ],
    }],
  },
  // [plugin:proc:/proc/net/snmp] ipv4 packets
  {
    when: [
      "Ip.OutRequests",
      "Ip.InReceives",
      "Ip.ForwDatagrams",
      "Ip.InDelivers",
    ],
    charts: [{
      id: "ipv4.packets",
      title: "IPv4 Packets",
      units: "packets/s",
      family: "packets",
      priority: 5130,
      dims: [
        ["Ip.InReceives", "InReceives", 1, "received"],
        ["Ip.OutRequests", "OutRequests", -1, "sent"],
        ["Ip.ForwDatagrams", "ForwDatagrams", 1, "forwarded"],
        ["Ip.InDelivers", "InDelivers", 1, "delivered"],
      ],
    }],
  },
  // ipv4 fragments sent
  {
    when: ["Ip.FragOKs", "Ip.FragFails", "Ip.FragCreates"],
    charts: [{
      id: "ipv4.fragsout",
      title: "IPv4 Fragments Sent",
      units: "packets/s",
      family: "fragments",
      priority: 5460,
      detail: true,
      dims: [
        ["Ip.FragOKs", "FragOKs", 1, "ok"],
        ["Ip.FragFails", "FragFails", -1, "failed"],
        ["Ip.FragCreates", "FragCreates", 1, "created"],
      ],
    }],
  },
  // ipv4 fragments assembly
  {
    when: ["Ip.ReasmOKs", "Ip.ReasmFails", "Ip.ReasmReqds"],
    charts: [{
      id: "ipv4.fragsin",
      title: "IPv4 Fragments Reassembly",
      units: "packets/s",
      family: "fragments",
      priority: 5461,
      detail: true,
      dims: [
        ["Ip.ReasmOKs", "ReasmOKs", 1, "ok"],
        ["Ip.ReasmFails", "ReasmFails", -1, "failed"],
        ["Ip.ReasmReqds", "ReasmReqds", 1, "all"],
      ],
    }],
  },
  // ipv4 errors
  {
    when: [
      "Ip.InDiscards",
      "Ip.OutDiscards",
      "Ip.InHdrErrors",
      "Ip.InAddrErrors",
      "Ip.InUnknownProtos",
      "Ip.OutNoRoutes",
    ],
    charts: [{
      id: "ipv4.errors",
      title: "IPv4 Errors",
      units: "packets/s",
      family: "errors",
      priority: 5150,
      detail: true,
      dims: [
        ["Ip.InDiscards", "InDiscards", 1],
        ["Ip.OutDiscards", "OutDiscards", -1],
        ["Ip.InHdrErrors", "InHdrErrors", 1],
        ["Ip.OutNoRoutes", "OutNoRoutes", -1],
        ["Ip.InAddrErrors", "InAddrErrors", 1],
        ["Ip.InUnknownProtos", "InUnknownProtos", 1],
      ],
    }],
  },
  // ipv4 ICMP packets
  {
    when: [
      "Icmp.InMsgs",
      "Icmp.OutMsgs",
      "Icmp.InErrors",
      "Icmp.OutErrors",
      "Icmp.InCsumErrors",
    ],
    charts: [{
      id: "ipv4.icmp",
      title: "IPv4 ICMP Packets",
      units: "packets/s",
      family: "icmp",
      priority: 5170,
      dims: [
        ["Icmp.InMsgs", "InMsgs", 1, "received"],
        ["Icmp.OutMsgs", "OutMsgs", -1, "sent"],
      ],
    }, {
      id: "ipv4.icmp_errors",
      title: "IPv4 ICMP Errors",
      units: "packets/s",
      family: "icmp",
      priority: 5171,
      dims: [
        ["Icmp.InErrors", "InErrors", 1],
        ["Icmp.OutErrors", "OutErrors", -1],
        ["Icmp.InCsumErrors", "InCsumErrors", 1],
      ],
    }],
  },
  // ipv4 ICMP messages: the types netdata names, all made with the chart
  icmpMessages([
    [0, "EchoReps"],
    [3, "DestUnreachs"],
    [5, "Redirects"],
    [8, "Echos"],
    [9, "RouterAdvert"],
    [10, "RouterSelect"],
    [11, "TimeExcds"],
    [12, "ParmProbs"],
    [13, "Timestamps"],
    [14, "TimestampReps"],
  ]),
  // ipv4 TCP connections
  {
    when: ["Tcp.CurrEstab"],
    charts: [{
      id: "ipv4.tcpsock",
      title: "IPv4 TCP Connections",
      units: "active connections",
      family: "tcp",
      priority: 5200,
      algorithm: "absolute",
      dims: [["Tcp.CurrEstab", "CurrEstab", 1, "connections"]],
    }],
  },
  // ipv4 TCP packets
  {
    when: ["Tcp.InSegs", "Tcp.OutSegs"],
    charts: [{
      id: "ipv4.tcppackets",
      title: "IPv4 TCP Packets",
      units: "packets/s",
      family: "tcp",
      priority: 5204,
      dims: [
        ["Tcp.InSegs", "InSegs", 1, "received"],
        ["Tcp.OutSegs", "OutSegs", -1, "sent"],
      ],
    }],
  },
  // ipv4 TCP errors
  {
    when: ["Tcp.InErrs", "Tcp.InCsumErrors", "Tcp.RetransSegs"],
    charts: [{
      id: "ipv4.tcperrors",
      title: "IPv4 TCP Errors",
      units: "packets/s",
      family: "tcp",
      priority: 5220,
      detail: true,
      dims: [
        ["Tcp.InErrs", "InErrs", 1],
        ["Tcp.InCsumErrors", "InCsumErrors", 1],
        ["Tcp.RetransSegs", "RetransSegs", -1],
      ],
    }],
  },
  // ipv4 TCP opens
  {
    when: ["Tcp.ActiveOpens", "Tcp.PassiveOpens"],
    charts: [{
      id: "ipv4.tcpopens",
      title: "IPv4 TCP Opens",
      units: "connections/s",
      family: "tcp",
      priority: 5205,
      detail: true,
      dims: [
        ["Tcp.ActiveOpens", "ActiveOpens", 1, "active"],
        ["Tcp.PassiveOpens", "PassiveOpens", 1, "passive"],
      ],
    }],
  },
  // ipv4 TCP handshake issues
  {
    when: ["Tcp.EstabResets", "Tcp.OutRsts", "Tcp.AttemptFails"],
    charts: [{
      id: "ipv4.tcphandshake",
      title: "IPv4 TCP Handshake Issues",
      units: "events/s",
      family: "tcp",
      priority: 5230,
      detail: true,
      dims: [
        ["Tcp.EstabResets", "EstabResets", 1],
        ["Tcp.OutRsts", "OutRsts", 1],
        ["Tcp.AttemptFails", "AttemptFails", 1],
        ["TcpExt.TCPSynRetrans", "TCPSynRetrans", 1, "SynRetrans"],
      ],
    }],
  },
  // ipv4 UDP packets
  {
    when: ["Udp.InDatagrams", "Udp.OutDatagrams"],
    charts: [{
      id: "ipv4.udppackets",
      title: "IPv4 UDP Packets",
      units: "packets/s",
      family: "udp",
      priority: 5300,
      dims: [
        ["Udp.InDatagrams", "InDatagrams", 1, "received"],
        ["Udp.OutDatagrams", "OutDatagrams", -1, "sent"],
      ],
    }],
  },
  // ipv4 UDP errors
  {
    when: [
      "Udp.InErrors",
      "Udp.NoPorts",
      "Udp.RcvbufErrors",
      "Udp.SndbufErrors",
      "Udp.InCsumErrors",
      "Udp.IgnoredMulti",
    ],
    charts: [{
      id: "ipv4.udperrors",
      title: "IPv4 UDP Errors",
      units: "events/s",
      family: "udp",
      priority: 5310,
      detail: true,
      dims: udpErrors("Udp.", true),
    }],
  },
  // ipv4 UDPLite packets
  {
    when: [
      "UdpLite.InDatagrams",
      "UdpLite.OutDatagrams",
      "UdpLite.NoPorts",
      "UdpLite.InErrors",
      "UdpLite.InCsumErrors",
      "UdpLite.RcvbufErrors",
      "UdpLite.SndbufErrors",
      "UdpLite.IgnoredMulti",
    ],
    charts: [{
      id: "ipv4.udplite",
      title: "IPv4 UDPLite Packets",
      units: "packets/s",
      family: "udplite",
      priority: 5400,
      dims: [
        ["UdpLite.InDatagrams", "InDatagrams", 1, "received"],
        ["UdpLite.OutDatagrams", "OutDatagrams", -1, "sent"],
      ],
    }, {
      id: "ipv4.udplite_errors",
      title: "IPv4 UDPLite Errors",
      units: "packets/s",
      family: "udplite",
      priority: 5410,
      dims: udpErrors("UdpLite.", true),
    }],
  },
  // [plugin:proc:/proc/net/snmp6] bandwidth
  {
    when: ["Ip6InOctets", "Ip6OutOctets"],
    charts: [{
      id: "system.ipv6",
      title: "IPv6 Bandwidth",
      units: "kilobits/s",
      family: "network",
      priority: 502,
      chartType: "area",
      divisor: KILOBIT,
      dims: [
        ["Ip6InOctets", "InOctets", 8, "received"],
        ["Ip6OutOctets", "OutOctets", -8, "sent"],
      ],
    }],
  },
  // ipv6 packets
  {
    when: [
      "Ip6InReceives",
      "Ip6OutRequests",
      "Ip6InDelivers",
      "Ip6OutForwDatagrams",
    ],
    charts: [{
      id: "ipv6.packets",
      title: "IPv6 Packets",
      units: "packets/s",
      family: "packets",
      priority: 6200,
      dims: [
        ["Ip6InReceives", "InReceives", 1, "received"],
        ["Ip6OutRequests", "OutRequests", -1, "sent"],
        ["Ip6OutForwDatagrams", "OutForwDatagrams", -1, "forwarded"],
        ["Ip6InDelivers", "InDelivers", 1, "delivers"],
      ],
    }],
  },
  // ipv6 fragments sent
  {
    when: ["Ip6FragOKs", "Ip6FragFails", "Ip6FragCreates"],
    charts: [{
      id: "ipv6.fragsout",
      title: "IPv6 Fragments Sent",
      units: "packets/s",
      family: "fragments6",
      priority: 6401,
      detail: true,
      dims: [
        ["Ip6FragOKs", "FragOKs", 1, "ok"],
        ["Ip6FragFails", "FragFails", -1, "failed"],
        ["Ip6FragCreates", "FragCreates", 1, "all"],
      ],
    }],
  },
  // ipv6 fragments assembly
  {
    when: ["Ip6ReasmOKs", "Ip6ReasmFails", "Ip6ReasmTimeout", "Ip6ReasmReqds"],
    charts: [{
      id: "ipv6.fragsin",
      title: "IPv6 Fragments Reassembly",
      units: "packets/s",
      family: "fragments6",
      priority: 6402,
      detail: true,
      dims: [
        ["Ip6ReasmOKs", "ReasmOKs", 1, "ok"],
        ["Ip6ReasmFails", "ReasmFails", -1, "failed"],
        ["Ip6ReasmTimeout", "ReasmTimeout", -1, "timeout"],
        ["Ip6ReasmReqds", "ReasmReqds", 1, "all"],
      ],
    }],
  },
  // ipv6 errors
  {
    when: [
      "Ip6InDiscards",
      "Ip6OutDiscards",
      "Ip6InHdrErrors",
      "Ip6InAddrErrors",
      "Ip6InUnknownProtos",
      "Ip6InTooBigErrors",
      "Ip6InTruncatedPkts",
      "Ip6InNoRoutes",
    ],
    charts: [{
      id: "ipv6.errors",
      title: "IPv6 Errors",
      units: "packets/s",
      family: "errors",
      priority: 6300,
      detail: true,
      dims: [
        ["Ip6InDiscards", "InDiscards", 1],
        ["Ip6OutDiscards", "OutDiscards", -1],
        ["Ip6InHdrErrors", "InHdrErrors", 1],
        ["Ip6InAddrErrors", "InAddrErrors", 1],
        ["Ip6InUnknownProtos", "InUnknownProtos", 1],
        ["Ip6InTooBigErrors", "InTooBigErrors", 1],
        ["Ip6InTruncatedPkts", "InTruncatedPkts", 1],
        ["Ip6InNoRoutes", "InNoRoutes", 1],
        ["Ip6OutNoRoutes", "OutNoRoutes", -1],
      ],
    }],
  },
  // ipv6 UDP packets
  {
    when: ["Udp6InDatagrams", "Udp6OutDatagrams"],
    setsFlagOf: "ipv4.udppackets",
    charts: [{
      id: "ipv6.udppackets",
      title: "IPv6 UDP Packets",
      units: "packets/s",
      family: "udp6",
      priority: 6601,
      dims: [
        ["Udp6InDatagrams", "InDatagrams", 1, "received"],
        ["Udp6OutDatagrams", "OutDatagrams", -1, "sent"],
      ],
    }],
  },
  // ipv6 UDP errors
  {
    when: [
      "Udp6InErrors",
      "Udp6NoPorts",
      "Udp6RcvbufErrors",
      "Udp6SndbufErrors",
      "Udp6InCsumErrors",
      "Udp6IgnoredMulti",
    ],
    charts: [{
      id: "ipv6.udperrors",
      title: "IPv6 UDP Errors",
      units: "events/s",
      family: "udp6",
      priority: 6610,
      detail: true,
      dims: udpErrors("Udp6", true),
    }],
  },
  // ipv6 UDPlite packets
  {
    when: ["UdpLite6InDatagrams", "UdpLite6OutDatagrams"],
    setsFlagOf: "ipv4.udplite",
    charts: [{
      id: "ipv6.udplitepackets",
      title: "IPv6 UDPlite Packets",
      units: "packets/s",
      family: "udplite6",
      priority: 6701,
      dims: [
        ["UdpLite6InDatagrams", "InDatagrams", 1, "received"],
        ["UdpLite6OutDatagrams", "OutDatagrams", -1, "sent"],
      ],
    }],
  },
  // ipv6 UDPlite errors
  {
    when: [
      "UdpLite6InErrors",
      "UdpLite6NoPorts",
      "UdpLite6RcvbufErrors",
      "UdpLite6SndbufErrors",
      "Udp6InCsumErrors", // sic
      "UdpLite6InCsumErrors",
    ],
    charts: [{
      id: "ipv6.udpliteerrors",
      title: "IPv6 UDP Lite Errors",
      units: "events/s",
      family: "udplite6",
      priority: 6710,
      detail: true,
      dims: udpErrors("UdpLite6", false),
    }],
  },
  // multicast bandwidth
  {
    when: ["Ip6OutMcastOctets", "Ip6InMcastOctets"],
    charts: [{
      id: "ipv6.mcast",
      title: "IPv6 Multicast Bandwidth",
      units: "kilobits/s",
      family: "multicast6",
      priority: 6850,
      chartType: "area",
      detail: true,
      divisor: KILOBIT,
      dims: [
        ["Ip6InMcastOctets", "InMcastOctets", 8, "received"],
        ["Ip6OutMcastOctets", "OutMcastOctets", -8, "sent"],
      ],
    }],
  },
  // broadcast bandwidth
  {
    when: ["Ip6OutBcastOctets", "Ip6InBcastOctets"],
    charts: [{
      id: "ipv6.bcast",
      title: "IPv6 Broadcast Bandwidth",
      units: "kilobits/s",
      family: "broadcast6",
      priority: 6840,
      chartType: "area",
      detail: true,
      divisor: KILOBIT,
      dims: [
        ["Ip6InBcastOctets", "InBcastOctets", 8, "received"],
        ["Ip6OutBcastOctets", "OutBcastOctets", -8, "sent"],
      ],
    }],
  },
  // multicast packets
  {
    when: ["Ip6OutMcastPkts", "Ip6InMcastPkts"],
    charts: [{
      id: "ipv6.mcastpkts",
      title: "IPv6 Multicast Packets",
      units: "packets/s",
      family: "multicast6",
      priority: 6851,
      detail: true,
      dims: [
        ["Ip6InMcastPkts", "InMcastPkts", 1, "received"],
        ["Ip6OutMcastPkts", "OutMcastPkts", -1, "sent"],
      ],
    }],
  },
  // icmp
  {
    when: ["Icmp6InMsgs", "Icmp6OutMsgs"],
    charts: [{
      id: "ipv6.icmp",
      title: "IPv6 ICMP Messages",
      units: "messages/s",
      family: "icmp6",
      priority: 6900,
      dims: [
        ["Icmp6InMsgs", "InMsgs", 1, "received"],
        ["Icmp6OutMsgs", "OutMsgs", -1, "sent"],
      ],
    }],
  },
  // icmp redirects
  {
    when: ["Icmp6InRedirects", "Icmp6OutRedirects"],
    charts: [{
      id: "ipv6.icmpredir",
      title: "IPv6 ICMP Redirects",
      units: "redirects/s",
      family: "icmp6",
      priority: 6910,
      dims: [
        ["Icmp6InRedirects", "InRedirects", 1, "received"],
        ["Icmp6OutRedirects", "OutRedirects", -1, "sent"],
      ],
    }],
  },
  // icmp errors
  {
    when: [
      "Icmp6InErrors",
      "Icmp6OutErrors",
      "Icmp6InCsumErrors",
      "Icmp6InDestUnreachs",
      "Icmp6InPktTooBigs",
      "Icmp6InTimeExcds",
      "Icmp6InParmProblems",
      "Icmp6OutDestUnreachs",
      "Icmp6OutPktTooBigs",
      "Icmp6OutTimeExcds",
      "Icmp6OutParmProblems",
    ],
    charts: [{
      id: "ipv6.icmperrors",
      title: "IPv6 ICMP Errors",
      units: "errors/s",
      family: "icmp6",
      priority: 6920,
      dims: [
        ["Icmp6InErrors", "InErrors", 1],
        ["Icmp6OutErrors", "OutErrors", -1],
        ["Icmp6InCsumErrors", "InCsumErrors", 1],
        ["Icmp6InDestUnreachs", "InDestUnreachs", 1],
        ["Icmp6InPktTooBigs", "InPktTooBigs", 1],
        ["Icmp6InTimeExcds", "InTimeExcds", 1],
        ["Icmp6InParmProblems", "InParmProblems", 1],
        ["Icmp6OutDestUnreachs", "OutDestUnreachs", -1],
        ["Icmp6OutPktTooBigs", "OutPktTooBigs", -1],
        ["Icmp6OutTimeExcds", "OutTimeExcds", -1],
        ["Icmp6OutParmProblems", "OutParmProblems", -1],
      ],
    }],
  },
  // icmp echos
  {
    when: [
      "Icmp6InEchos",
      "Icmp6OutEchos",
      "Icmp6InEchoReplies",
      "Icmp6OutEchoReplies",
    ],
    charts: [{
      id: "ipv6.icmpechos",
      title: "IPv6 ICMP Echo",
      units: "messages/s",
      family: "icmp6",
      priority: 6930,
      dims: [
        ["Icmp6InEchos", "InEchos", 1],
        ["Icmp6OutEchos", "OutEchos", -1],
        ["Icmp6InEchoReplies", "InEchoReplies", 1],
        ["Icmp6OutEchoReplies", "OutEchoReplies", -1],
      ],
    }],
  },
  // icmp group membership
  {
    when: [
      "Icmp6InGroupMembQueries",
      "Icmp6OutGroupMembQueries",
      "Icmp6InGroupMembResponses",
      "Icmp6OutGroupMembResponses",
      "Icmp6InGroupMembReductions",
      "Icmp6OutGroupMembReductions",
    ],
    charts: [{
      id: "ipv6.groupmemb",
      title: "IPv6 ICMP Group Membership",
      units: "messages/s",
      family: "icmp6",
      priority: 6940,
      dims: [
        ["Icmp6InGroupMembQueries", "InQueries", 1],
        ["Icmp6OutGroupMembQueries", "OutQueries", -1],
        ["Icmp6InGroupMembResponses", "InResponses", 1],
        ["Icmp6OutGroupMembResponses", "OutResponses", -1],
        ["Icmp6InGroupMembReductions", "InReductions", 1],
        ["Icmp6OutGroupMembReductions", "OutReductions", -1],
      ],
    }],
  },
  // icmp router
  solicitsAndAdvertisements(
    "Router",
    "ipv6.icmprouter",
    "IPv6 Router Messages",
    6950,
  ),
  // icmp neighbor
  solicitsAndAdvertisements(
    "Neighbor",
    "ipv6.icmpneighbor",
    "IPv6 Neighbor Messages",
    6960,
  ),
  // icmp mldv2
  {
    when: ["Icmp6InMLDv2Reports", "Icmp6OutMLDv2Reports"],
    charts: [{
      id: "ipv6.icmpmldv2",
      title: "IPv6 ICMP MLDv2 Reports",
      units: "reports/s",
      family: "icmp6",
      priority: 6970,
      dims: [
        ["Icmp6InMLDv2Reports", "InMLDv2Reports", 1, "received"],
        ["Icmp6OutMLDv2Reports", "OutMLDv2Reports", -1, "sent"],
      ],
    }],
  },
  // icmp types: the ones netdata names, all made with the chart
  (() => {
    const dims: Dim[] = [
      ...[1, 128, 129, 136].map((t): Dim => [
        `Icmp6InType${t}`,
        `InType${t}`,
        1,
      ]),
      ...[1, 128, 129, 133, 135, 143].map((t): Dim => [
        `Icmp6OutType${t}`,
        `OutType${t}`,
        -1,
      ]),
    ];
    return {
      when: dims.map(([counter]) => counter),
      charts: [{
        id: "ipv6.icmptypes",
        title: "IPv6 ICMP Types",
        units: "messages/s",
        family: "icmp6",
        priority: 6980,
        dims,
      }],
    };
  })(),
  // ect
  {
    when: ["Ip6InNoECTPkts", "Ip6InECT1Pkts", "Ip6InECT0Pkts", "Ip6InCEPkts"],
    charts: [{
      id: "ipv6.ect",
      title: "IPv6 ECT Packets",
      units: "packets/s",
      family: "packets",
      priority: 6210,
      dims: [
        ["Ip6InNoECTPkts", "InNoECTPkts", 1],
        ["Ip6InECT1Pkts", "InECT1Pkts", 1],
        ["Ip6InECT0Pkts", "InECT0Pkts", 1],
        ["Ip6InCEPkts", "InCEPkts", 1],
      ],
    }],
  },
];

/**
 * ipv4.icmpmsg: an In and an Out dimension per ICMP type (`InType3`
 * named InDestUnreachs), made once any of them is not zero.
 */
function icmpMessages(types: [number, string][]): Group {
  const dims = types.flatMap(([type, name]): Dim[] => [
    [`IcmpMsg.InType${type}`, `InType${type}`, 1, `In${name}`],
    [`IcmpMsg.OutType${type}`, `OutType${type}`, -1, `Out${name}`],
  ]);
  return {
    when: dims.map(([counter]) => counter),
    charts: [{
      id: "ipv4.icmpmsg",
      title: "IPv4 ICMP Messages",
      units: "packets/s",
      family: "icmp",
      priority: 5172,
      dims,
    }],
  };
}

/**
 * The UDP error dimensions of ipv4.udperrors, ipv4.udplite_errors,
 * ipv6.udperrors and ipv6.udpliteerrors (`prefix` + counter name), the
 * last without IgnoredMulti.
 */
function udpErrors(prefix: string, ignoredMulti: boolean): Dim[] {
  const dims: Dim[] = [
    [`${prefix}RcvbufErrors`, "RcvbufErrors", 1],
    [`${prefix}SndbufErrors`, "SndbufErrors", -1],
    [`${prefix}InErrors`, "InErrors", 1],
    [`${prefix}NoPorts`, "NoPorts", 1],
    [`${prefix}InCsumErrors`, "InCsumErrors", 1],
  ];
  if (ignoredMulti) dims.push([`${prefix}IgnoredMulti`, "IgnoredMulti", 1]);
  return dims;
}

/** ipv6.icmprouter and ipv6.icmpneighbor: solicits and advertisements. */
function solicitsAndAdvertisements(
  what: "Router" | "Neighbor",
  id: string,
  title: string,
  priority: number,
): Group {
  const dims: Dim[] = [
    [`Icmp6In${what}Solicits`, "InSolicits", 1],
    [`Icmp6Out${what}Solicits`, "OutSolicits", -1],
    [`Icmp6In${what}Advertisements`, "InAdvertisements", 1],
    [`Icmp6Out${what}Advertisements`, "OutAdvertisements", -1],
  ];
  return {
    when: dims.map(([counter]) => counter),
    charts: [{
      id,
      title,
      units: "messages/s",
      family: "icmp6",
      priority,
      dims,
    }],
  };
}

/** procfile's word separators for these files: space, tab and colon. */
function isSeparator(c: number): boolean {
  return c === 32 || c === 9 || c === 58;
}

/** The first word of a line, as netdata's procfile splits it. */
function firstWord(line: string): string {
  let i = 0;
  while (i < line.length && isSeparator(line.charCodeAt(i))) i++;
  let end = i;
  while (end < line.length && !isSeparator(line.charCodeAt(end))) end++;
  return line.slice(i, end);
}

/** The words of a line, as netdata's procfile splits them. */
function countWords(line: string): number {
  let words = 0;
  for (let i = 0; i < line.length;) {
    while (i < line.length && isSeparator(line.charCodeAt(i))) i++;
    if (i === line.length) break;
    words++;
    while (i < line.length && !isSeparator(line.charCodeAt(i))) i++;
  }
  return words;
}

/** netdata's str2ull: the leading decimal digits of `line` from `at`. */
function digitsAt(line: string, at: number): number {
  let n = 0;
  for (let i = at; i < line.length; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return n;
}

/**
 * The counters of the three files, as netdata's ARLs read them: each
 * named counter, where it is found, goes to its slot of `values`; the
 * others are skipped. Each `read` returns the file's problems, as
 * `file:line: what` (netdata logs them and reads on, or stops where it
 * stops).
 */
export class NetstatCounters {
  /** The counters' last values, by slot. */
  readonly values: Float64Array;
  readonly #slots = new Map<Counter, number>();
  /** Section -> counter name -> slot, of netstat and of snmp. */
  readonly #netstat = new Map<string, Map<string, number>>();
  readonly #snmp = new Map<string, Map<string, number>>();
  /** snmp6 name -> slot. */
  readonly #snmp6 = new Map<string, number>();
  /** A header line -> the slot of each of its words (-1: not read). */
  readonly #headers = new Map<string, Int32Array>();

  /** Counters to read, named as the Counter type says. */
  constructor(counters: Iterable<Counter>) {
    for (const counter of counters) {
      if (this.#slots.has(counter)) continue;
      const slot = this.#slots.size;
      this.#slots.set(counter, slot);
      const dot = counter.indexOf(".");
      if (dot < 0) {
        this.#snmp6.set(counter, slot);
        continue;
      }
      const section = counter.slice(0, dot);
      const into = NETSTAT_SECTIONS.includes(section)
        ? this.#netstat
        : SNMP_SECTIONS.includes(section)
        ? this.#snmp
        : undefined;
      if (!into) throw new Error(`no file has the section of "${counter}"`);
      let names = into.get(section);
      if (!names) into.set(section, names = new Map());
      names.set(counter.slice(dot + 1), slot);
    }
    this.values = new Float64Array(this.#slots.size);
  }

  /** The slot of `counter`; throws for one not given to the constructor. */
  slot(counter: Counter): number {
    const slot = this.#slots.get(counter);
    if (slot === undefined) throw new Error(`unknown counter "${counter}"`);
    return slot;
  }

  /** The last value read of `counter`. */
  value(counter: Counter): number {
    return this.values[this.slot(counter)];
  }

  /**
   * /proc/net/netstat: each IpExt and TcpExt header line and the values
   * line after it (netdata's parse_line_pair()).
   */
  readNetstat(text: string): string[] {
    return this.#readPairs(text, MODULE, this.#netstat, false);
  }

  /**
   * /proc/net/snmp: each Ip, Icmp, IcmpMsg, Tcp, Udp and UdpLite header
   * line and the values line after it; the file is read no further when
   * the line after a header is not its values.
   */
  readSnmp(text: string): string[] {
    return this.#readPairs(text, SNMP, this.#snmp, true);
  }

  /** /proc/net/snmp6: a `name value` line per counter. */
  readSnmp6(text: string): string[] {
    const problems: string[] = [];
    const lines = text.split("\n");
    for (let l = 0; l < lines.length; l++) {
      const line = lines[l];
      const words = countWords(line);
      if (words < 2) {
        if (words > 0) {
          problems.push(
            `${SNMP6}:${l + 1}: expected a name and a value, got "${line}"`,
          );
        }
        continue;
      }
      const name = firstWord(line);
      const slot = this.#snmp6.get(name);
      if (slot === undefined) continue;
      let at = line.indexOf(name) + name.length;
      while (isSeparator(line.charCodeAt(at))) at++;
      this.values[slot] = digitsAt(line, at);
    }
    return problems;
  }

  #readPairs(
    text: string,
    file: string,
    sections: Map<string, Map<string, number>>,
    snmp: boolean,
  ): string[] {
    const problems: string[] = [];
    const lines = text.split("\n");
    for (let l = 0; l < lines.length; l++) {
      const section = firstWord(lines[l]);
      const names = sections.get(section);
      if (!names) continue;
      const header = lines[l++];
      const line = lines[l] ?? "";
      if (snmp && firstWord(line) !== section) {
        problems.push(
          `${file}:${
            l + 1
          }: expected the ${section} values after the header on line ${l}, got "${line}"; not reading further`,
        );
        break;
      }
      const words = countWords(line);
      const least = snmp && section !== "IcmpMsg" ? 3 : 2;
      if (words < least) {
        problems.push(
          `${file}:${
            l + 1
          }: expected at least ${least} words on the ${section} values line, got ${words}`,
        );
        continue;
      }
      const slots = this.#headerSlots(header, names);
      if (!snmp && words > slots.length) {
        problems.push(
          `${file}:${
            l + 1
          }: ${words} words on the ${section} values line, ${slots.length} on its header: the extra ones skipped`,
        );
      }
      this.#readValues(line, slots);
    }
    return problems;
  }

  /** The slot of each word of a header line, remembered by its text. */
  #headerSlots(header: string, names: Map<string, number>): Int32Array {
    let slots = this.#headers.get(header);
    if (slots) return slots;
    const words = header.split(/[ \t:]+/).filter((w) => w !== "");
    slots = Int32Array.from(words, (w, i) => i === 0 ? -1 : names.get(w) ?? -1);
    // kernels do not change their headers; a bound all the same
    if (this.#headers.size >= 64) this.#headers.clear();
    this.#headers.set(header, slots);
    return slots;
  }

  /** Word w of a values line into the slot of header word w. */
  #readValues(line: string, slots: Int32Array): void {
    let word = 0;
    for (let i = 0; i < line.length && word < slots.length;) {
      while (i < line.length && isSeparator(line.charCodeAt(i))) i++;
      if (i === line.length) break;
      const slot = slots[word++];
      if (slot >= 0) this.values[slot] = digitsAt(line, i);
      while (i < line.length && !isSeparator(line.charCodeAt(i))) i++;
    }
  }
}

/** A chart ready to make: its spec, dimensions and their slots. */
interface BuiltChart {
  spec: ChartSpec;
  dims: DimSpec[];
  slots: Int32Array;
}

/** The /proc/net/netstat module (with /proc/net/snmp and snmp6). */
export function procNetNetstat(ctx: ProcContext): ProcModule {
  const counters = new NetstatCounters(
    GROUPS.flatMap((g) => [
      ...g.when,
      ...g.charts.flatMap((c) => c.dims.map(([counter]) => counter)),
    ]),
  );
  const groups = GROUPS.map((g) => ({
    when: Int32Array.from(g.when, (c) => counters.slot(c)),
    setsFlagOf: g.setsFlagOf === undefined
      ? -1
      : GROUPS.findIndex((o) => o.charts[0].id === g.setsFlagOf),
    charts: g.charts.map((c): BuiltChart => ({
      spec: {
        id: c.id,
        title: c.title,
        units: c.units,
        family: c.family,
        chartType: c.chartType ?? "line",
        priority: c.priority,
        module: MODULE,
        detail: c.detail ?? false,
      },
      dims: c.dims.map(([, id, multiplier, name]): DimSpec => [
        id,
        multiplier,
        c.divisor ?? 1,
        c.algorithm ?? "incremental",
        name,
      ]),
      slots: Int32Array.from(c.dims, ([counter]) => counters.slot(counter)),
    })),
  }));
  /** netdata's do_* flags: the group's charts are collected at each pass. */
  const on = new Uint8Array(groups.length);
  const values = counters.values;
  const warn = (problems: string[]) => {
    for (const problem of problems) ctx.warnOnce(problem, problem);
  };

  return {
    path: MODULE,
    alsoRead: () => ALSO_READ,
    collect(text: string, ms: number, ut: number, also) {
      const snmp = also.get(SNMP);
      const snmp6 = also.get(SNMP6);
      if (snmp === undefined || snmp6 === undefined) {
        const missing = snmp === undefined ? SNMP : SNMP6;
        ctx.warnOnce(
          missing,
          `cannot read ${missing}: no ${MODULE} charts, as netdata 1.37`,
        );
        return;
      }
      warn(counters.readNetstat(text));
      warn(counters.readSnmp(snmp));
      warn(counters.readSnmp6(snmp6));
      for (let g = 0; g < groups.length; g++) {
        const group = groups[g];
        if (on[g] === 0) {
          let nonZero = false;
          for (const slot of group.when) {
            if (values[slot] !== 0) nonZero = true;
          }
          if (!nonZero) continue;
          on[group.setsFlagOf < 0 ? g : group.setsFlagOf] = 1;
        }
        for (const { spec, dims, slots } of group.charts) {
          const chart = ctx.chart(spec, dims);
          for (let d = 0; d < slots.length; d++) {
            chart.dimensions[d].set(values[slots[d]], ms);
          }
          chart.done(ut);
        }
      }
    },
  };
}
