/* rnnpoolc runtime: FastGRNN cells and the RNNPool layer in Q15 with int32 accumulation.
 *
 * Fixed-point sigmoid and tanh: tables of T[i] = round(32768 * f(x_i)) at 513 points x_i
 * spread evenly over [-16, 16] (sigmoid, steps of 1/16) and [-8, 8] (tanh, steps of 1/32),
 * computed once with double precision (no libm at run time). A Q12 input is saturated to
 * the table's range, split into an interval index and a fraction of 8 (sigmoid) or 7 (tanh)
 * bits, and the interval's end points are interpolated linearly, rounded half up:
 * f = T[i] + floor((slope * fraction + 2^(bits - 1)) / 2^bits), slope = T[i + 1] - T[i]. T is
 * clamped to [-32768, 32767] so that one int32 word per interval holds T[i] (top half) and
 * the slope (bottom half): one load, one SMLABB, one shift and one add, with no branch and
 * no symmetry fold. Largest error against the real functions: sigmoid 6.7e-5 (2.2 Q15
 * steps), tanh 1.16e-4 (3.8 steps).
 *
 * Cells: every step expands its input once to int16 (RNN1: the int8 pixel minus its zero
 * point, in the lane order of the stored weights), then computes four hidden units at a
 * time: x.W and h.U of four weight rows against one load of each pair of inputs (SMLAD),
 * with the accumulators in registers. Two independent sequences of one cell (RNN2's forward
 * and backward sweeps over the same summaries, neighbouring RNN1 segments) advance side by
 * side, so that each weight load serves both. The update writes the state in place: unit
 * j's update reads only the old h_j, and all pre-activations are computed before it.
 *
 * Cortex-M4 (RP_FG_ASM, cells of 8 or 16 hidden units with 4, 8 or 16 inputs): the paired
 * dot products are inline assembly (14 instructions per input pair, four rows and two
 * sequences: 16 MACs), with the second sequence's vectors at a fixed distance from the
 * first's (the expanded pixels side by side, the two states adjacent); the sigmoid/tanh
 * update is two assembly passes over both sequences (the nonlinearities, packed z | c; then
 * the new states), about 30 instructions per unit and step, where GCC's code for the same C
 * took 44. RNN2's forward step t and backward step len - 1 - t read the same summary: its
 * x.W is computed once. The portable C (and the host's models of the DSP instructions) run
 * the same integer operations, so the bytes are the same (tests/unit/runtime/
 * QemuRNNPoolTest.cpp runs both).
 *
 * Segment reuse: RNN1 restarts from h = 0 on every row and column segment of a patch, so the
 * summary of a segment depends only on the segment. With overlapping patches the row
 * segments of patch row i are shared with patch row i + 1 and the column segments of a
 * patch with its right neighbour; the scratch caches them (row summaries of the last patch_h
 * input rows for every patch column of the region, indexed by input row modulo patch_h;
 * column summaries of the current patch row indexed by input column modulo patch_w), so
 * each segment is swept once.
 */
#include "rp_internal.h"

/* Largest RNN1 input (channels) expanded on the stack (two such buffers are live: keep the
 * stack small for 4 KB boards); wider inputs use the int8 loops. */
#define RP_FG_MAX_EXPANDED 64

/* Patch sides up to twice this share RNN2's x.W between its forward and backward sweeps
 * (a stack buffer of RP_RNN2_SHARED * 128 bytes). */
#define RP_RNN2_SHARED 4

/* Copies of an assembly string, repeated by the preprocessor rather than by .rept, so that
 * GCC, which estimates an asm statement's size from its lines, sees its true length (its
 * branches around it must reach). */
#define RP_REP2(x) x x
#define RP_REP4(x) RP_REP2(RP_REP2(x))
#define RP_REP8(x) RP_REP2(RP_REP4(x))
#define RP_REP16(x) RP_REP2(RP_REP8(x))

/* The cells' inline assembly: Cortex-M4 with the DSP extension, GCC or clang, optimising
 * (unoptimised builds cannot give the assembly its 13 registers). */
#if defined(__ARM_FEATURE_DSP) && !defined(RP_NO_DSP) && defined(__GNUC__) &&                 \
    defined(__OPTIMIZE__)
#define RP_FG_ASM 1
#else
#define RP_FG_ASM 0
#endif

/* clang-format off */
static const int32_t rp_sigmoid_table[512] = {
0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 65536, 65536, 65536, 65536, 65536,
65536, 65536, 65536, 65536, 65536, 65536, 65536, 65536, 65536, 65536, 65536, 65536, 65537,
131072, 131072, 131072, 131072, 131072, 131072, 131072, 131073, 196608, 196608, 196608,
196608, 196609, 262144, 262144, 262144, 262145, 327680, 327680, 327681, 393216, 393216,
393217, 458752, 458753, 524288, 524289, 589824, 589825, 655360, 655361, 720897, 786432,
786433, 851969, 917505, 983041, 1048577, 1114113, 1179649, 1245186, 1376257, 1441793,
1507330, 1638401, 1703938, 1835010, 1966082, 2097154, 2228226, 2359298, 2490371, 2686978,
2818051, 3014659, 3211267, 3407876, 3670019, 3866628, 4128772, 4390917, 4718596, 4980741,
5308421, 5636102, 6029318, 6422534, 6815751, 7274503, 7733255, 8192008, 8716297, 9306121,
9895946, 10551306, 11206667, 11927564, 12713996, 13500429, 14352398, 15269903, 16252944,
17301521, 18415634, 19595283, 20840468, 22151190, 23592983, 25100312, 26673178, 28377116,
30212125, 32112671, 34144289, 36306979, 38600742, 41091111, 43647018, 46399533, 49348655,
52428851, 55771189, 59244601, 62980156, 66912319, 71041092, 75497543, 80150604, 85131344,
90374229, 95944794, 101843039, 108068965, 114688106, 121634929, 129040503, 136839293,
145031301, 153747596, 162922643, 172556444, 182780067, 193462444, 204734646, 216662206,
229114056, 242221266, 255983836, 270401767, 285540594, 301400316, 317915400, 335216916,
353304863, 372113708, 391774519, 412156228, 433389904, 455410012, 478216553, 501875061,
526320001, 551551373, 577569176, 604307876, 631833007, 660079033, 688980419, 718537164,
748683734, 779485661, 810746341, 842531308, 874775025, 907346422, 940245497, 973341181,
1006699007, 1040187904, 1073742336, 1107296767, 1140785661, 1174143481, 1207239158,
1240138225, 1272709612, 1304953317, 1336738269, 1367998934, 1398800844, 1428947395,
1458504121, 1487405487, 1515651492, 1543176600, 1569915277, 1595933057, 1621164405,
1645609321, 1669267804, 1692074320, 1714094404, 1735328055, 1755709740, 1775370527,
1794179348, 1812267272, 1829568764, 1846083826, 1861943527, 1877082332, 1891500242,
1905262792, 1918369982, 1930821814, 1942749356, 1954021539, 1964703900, 1974927507,
1984561292, 1993736325, 2002452605, 2010644599, 2018443377, 2025848938, 2032795749,
2039414879, 2045640794, 2051539029, 2057109584, 2062352460, 2067333191, 2071986244,
2076442687, 2080571452, 2084503609, 2088239157, 2091712563, 2095054895, 2098135085,
2101084202, 2103836711, 2106392614, 2108882979, 2111176737, 2113339423, 2115371037,
2117271580, 2119106586, 2120810520, 2122383383, 2123890710, 2125332500, 2126643219,
2127888402, 2129068049, 2130182160, 2131230735, 2132213774, 2133131277, 2133983244,
2134769676, 2135556107, 2136277002, 2136932362, 2137587721, 2138177545, 2138767368,
2139291655, 2139750407, 2140209159, 2140667910, 2141061126, 2141454342, 2141847557,
2142175237, 2142502916, 2142765061, 2143092740, 2143354884, 2143617027, 2143813636,
2144075779, 2144272387, 2144468995, 2144665602, 2144796675, 2144993282, 2145124354,
2145255426, 2145386498, 2145517570, 2145648642, 2145779713, 2145845250, 2145976321,
2146041857, 2146107394, 2146238465, 2146304001, 2146369537, 2146435073, 2146500609,
2146566145, 2146631681, 2146697216, 2146697217, 2146762753, 2146828288, 2146828289,
2146893824, 2146893825, 2146959360, 2146959361, 2147024896, 2147024897, 2147090432,
2147090432, 2147090433, 2147155968, 2147155968, 2147155969, 2147221504, 2147221504,
2147221504, 2147221505, 2147287040, 2147287040, 2147287040, 2147287040, 2147287041,
2147352576, 2147352576, 2147352576, 2147352576, 2147352576, 2147352576, 2147352576,
2147352577, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112};
static const int32_t rp_tanh_table[512] = {
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), -2147483647, -2147418112,
-2147418112, -2147418112, -2147418112, -2147418112, -2147418112, -2147418112, -2147418112,
-2147418112, -2147418112, -2147418112, -2147418112, -2147418112, -2147418112, -2147418112,
-2147418112, -2147418112, -2147418111, -2147352576, -2147352576, -2147352576, -2147352576,
-2147352576, -2147352576, -2147352576, -2147352575, -2147287040, -2147287040, -2147287040,
-2147287040, -2147287039, -2147221504, -2147221504, -2147221504, -2147221503, -2147155968,
-2147155968, -2147155967, -2147090432, -2147090432, -2147090431, -2147024896, -2147024895,
-2146959360, -2146959359, -2146893824, -2146893823, -2146828288, -2146828287, -2146762751,
-2146697215, -2146631680, -2146631679, -2146566143, -2146500607, -2146435071, -2146369535,
-2146303999, -2146238462, -2146107391, -2146041855, -2145976318, -2145845246, -2145714175,
-2145648638, -2145517566, -2145386494, -2145255422, -2145124349, -2144927742, -2144796669,
-2144600061, -2144403453, -2144206845, -2144010237, -2143813628, -2143551484, -2143289340,
-2143027196, -2142765051, -2142437371, -2142109691, -2141782011, -2141454330, -2141061113,
-2140602362, -2140209144, -2139684857, -2139226104, -2138701815, -2138111991, -2137522166,
-2136866806, -2136211444, -2135425013, -2134704115, -2133852147, -2133000177, -2132017137,
-2131034096, -2129985519, -2128871406, -2127691757, -2126446571, -2125070314, -2123628521,
-2122121191, -2120482789, -2118713316, -2116878306, -2114912225, -2112880606, -2110652380,
-2108293082, -2105802711, -2103115733, -2100297682, -2097283023, -2094071756, -2090663881,
-2087059398, -2083258306, -2079195069, -2074804154, -2070216630, -2065366960, -2060124076,
-2054619047, -2048786337, -2042560412, -2036006805, -2028994447, -2021588872, -2013724545,
-2005401465, -1996554097, -1987182440, -1977220960, -1966735190, -1955594060, -1943797570,
-1931345718, -1918107435, -1904148255, -1889402642, -1873805061, -1857355511, -1839988457,
-1821703897, -1802370761, -1781989049, -1760558759, -1737948822, -1714224771, -1689255536,
-1663041116, -1635515976, -1606680114, -1576402461, -1544748551, -1511652848, -1477049816,
-1440873921, -1403190698, -1364000144, -1323105657, -1280703840, -1236663623, -1190985007,
-1143733526, -1094843646, -1044380903, -992410831, -938867896, -883817635, -827391118,
-769588345, -710409319, -650050645, -588512325, -525925431, -462421033, -397999134,
-332856340, -267058188, -200735750, -134020099, -67107840, 1024, 67109885, 134022138,
200737780, 267060204, 332858338, 398001111, 462422985, 525927355, 588514219, 650052505,
710411143, 769590130, 827392861, 883819336, 938869553, 992412441, 1044382466, 1094845162,
1143734993, 1190986425, 1236664992, 1280705159, 1323106928, 1364001366, 1403191871,
1440875048, 1477050896, 1511653881, 1544749539, 1576403406, 1606681016, 1635516836,
1663041936, 1689256317, 1714225514, 1737949529, 1760559431, 1781989687, 1802371367,
1821704471, 1839989001, 1857356027, 1873805550, 1889403105, 1904148693, 1918107850,
1931346110, 1943797940, 1955594410, 1966735520, 1977221272, 1987182735, 1996554375,
2005401727, 2013724792, 2021589105, 2028994667, 2036007012, 2042560607, 2048786521,
2054619220, 2060124240, 2065367114, 2070216774, 2074804291, 2079195198, 2083258426,
2087059511, 2090663988, 2094071857, 2097283118, 2100297771, 2103115817, 2105802790,
2108293156, 2110652450, 2112880671, 2114912286, 2116878364, 2118713371, 2120482841,
2122121239, 2123628566, 2125070357, 2126446611, 2127691794, 2128871441, 2129985552,
2131034127, 2132017167, 2133000205, 2133852173, 2134704139, 2135425036, 2136211466,
2136866826, 2137522185, 2138112009, 2138701832, 2139226119, 2139684872, 2140209158,
2140602375, 2141061126, 2141454341, 2141782021, 2142109701, 2142437381, 2142765060,
2143027204, 2143289348, 2143551492, 2143813635, 2144010243, 2144206851, 2144403459,
2144600067, 2144796674, 2144927747, 2145124354, 2145255426, 2145386498, 2145517570,
2145648641, 2145714178, 2145845250, 2145976321, 2146041857, 2146107394, 2146238465,
2146304001, 2146369537, 2146435073, 2146500609, 2146566145, 2146631680, 2146631681,
2146697217, 2146762753, 2146828288, 2146828289, 2146893824, 2146893825, 2146959360,
2146959361, 2147024896, 2147024897, 2147090432, 2147090432, 2147090433, 2147155968,
2147155968, 2147155969, 2147221504, 2147221504, 2147221504, 2147221505, 2147287040,
2147287040, 2147287040, 2147287040, 2147287041, 2147352576, 2147352576, 2147352576,
2147352576, 2147352576, 2147352576, 2147352576, 2147352577, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112};
/* rp_tanh_table with every slope doubled (slopes are below 2^11, so the bottom halves stay
 * positive and the top halves unchanged): the assembly update rounds the tanh interpolation
 * as floor((2 slope f + 2^7) / 2^8), which is floor((slope f + 2^6) / 2^7), with the sigmoid's
 * rounding constant. */
#if RP_FG_ASM
static const int32_t rp_tanh2_table[512] = {
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1),
(-2147483647 - 1), (-2147483647 - 1), (-2147483647 - 1), -2147483646, -2147418112,
-2147418112, -2147418112, -2147418112, -2147418112, -2147418112, -2147418112, -2147418112,
-2147418112, -2147418112, -2147418112, -2147418112, -2147418112, -2147418112, -2147418112,
-2147418112, -2147418112, -2147418110, -2147352576, -2147352576, -2147352576, -2147352576,
-2147352576, -2147352576, -2147352576, -2147352574, -2147287040, -2147287040, -2147287040,
-2147287040, -2147287038, -2147221504, -2147221504, -2147221504, -2147221502, -2147155968,
-2147155968, -2147155966, -2147090432, -2147090432, -2147090430, -2147024896, -2147024894,
-2146959360, -2146959358, -2146893824, -2146893822, -2146828288, -2146828286, -2146762750,
-2146697214, -2146631680, -2146631678, -2146566142, -2146500606, -2146435070, -2146369534,
-2146303998, -2146238460, -2146107390, -2146041854, -2145976316, -2145845244, -2145714174,
-2145648636, -2145517564, -2145386492, -2145255420, -2145124346, -2144927740, -2144796666,
-2144600058, -2144403450, -2144206842, -2144010234, -2143813624, -2143551480, -2143289336,
-2143027192, -2142765046, -2142437366, -2142109686, -2141782006, -2141454324, -2141061106,
-2140602356, -2140209136, -2139684850, -2139226096, -2138701806, -2138111982, -2137522156,
-2136866796, -2136211432, -2135425002, -2134704102, -2133852134, -2133000162, -2132017122,
-2131034080, -2129985502, -2128871388, -2127691738, -2126446550, -2125070292, -2123628498,
-2122121166, -2120482762, -2118713288, -2116878276, -2114912194, -2112880572, -2110652344,
-2108293044, -2105802670, -2103115690, -2100297636, -2097282974, -2094071704, -2090663826,
-2087059340, -2083258244, -2079195002, -2074804084, -2070216556, -2065366880, -2060123992,
-2054618958, -2048786242, -2042560312, -2036006698, -2028994334, -2021588752, -2013724418,
-2005401330, -1996553954, -1987182288, -1977220800, -1966735020, -1955593880, -1943797380,
-1931345516, -1918107222, -1904148030, -1889402404, -1873804810, -1857355246, -1839988178,
-1821703602, -1802370450, -1781988722, -1760558414, -1737948460, -1714224390, -1689255136,
-1663040696, -1635515536, -1606679652, -1576401978, -1544748046, -1511652320, -1477049264,
-1440873346, -1403190100, -1363999520, -1323105010, -1280703168, -1236662926, -1190984286,
-1143732780, -1094842876, -1044380110, -992410014, -938867056, -883816774, -827390236,
-769587442, -710408398, -650049706, -588511370, -525924462, -462420050, -397998140,
-332855336, -267057176, -200734732, -134019078, -67106816, 2048, 67110906, 134023156,
200738792, 267061208, 332859332, 398002094, 462423954, 525928310, 588515158, 650053426,
710412046, 769591012, 827393722, 883820176, 938870370, 992413234, 1044383236, 1094845908,
1143735714, 1190987122, 1236665664, 1280705806, 1323107552, 1364001964, 1403192446,
1440875600, 1477051424, 1511654386, 1544750022, 1576403868, 1606681456, 1635517256,
1663042336, 1689256698, 1714225876, 1737949874, 1760559758, 1781989998, 1802371662,
1821704750, 1839989266, 1857356278, 1873805788, 1889403330, 1904148906, 1918108052,
1931346300, 1943798120, 1955594580, 1966735680, 1977221424, 1987182878, 1996554510,
2005401854, 2013724912, 2021589218, 2028994774, 2036007112, 2042560702, 2048786610,
2054619304, 2060124320, 2065367188, 2070216844, 2074804358, 2079195260, 2083258484,
2087059566, 2090664040, 2094071906, 2097283164, 2100297814, 2103115858, 2105802828,
2108293192, 2110652484, 2112880702, 2114912316, 2116878392, 2118713398, 2120482866,
2122121262, 2123628588, 2125070378, 2126446630, 2127691812, 2128871458, 2129985568,
2131034142, 2132017182, 2133000218, 2133852186, 2134704150, 2135425048, 2136211476,
2136866836, 2137522194, 2138112018, 2138701840, 2139226126, 2139684880, 2140209164,
2140602382, 2141061132, 2141454346, 2141782026, 2142109706, 2142437386, 2142765064,
2143027208, 2143289352, 2143551496, 2143813638, 2144010246, 2144206854, 2144403462,
2144600070, 2144796676, 2144927750, 2145124356, 2145255428, 2145386500, 2145517572,
2145648642, 2145714180, 2145845252, 2145976322, 2146041858, 2146107396, 2146238466,
2146304002, 2146369538, 2146435074, 2146500610, 2146566146, 2146631680, 2146631682,
2146697218, 2146762754, 2146828288, 2146828290, 2146893824, 2146893826, 2146959360,
2146959362, 2147024896, 2147024898, 2147090432, 2147090432, 2147090434, 2147155968,
2147155968, 2147155970, 2147221504, 2147221504, 2147221504, 2147221506, 2147287040,
2147287040, 2147287040, 2147287040, 2147287042, 2147352576, 2147352576, 2147352576,
2147352576, 2147352576, 2147352576, 2147352576, 2147352578, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112,
2147418112, 2147418112, 2147418112, 2147418112, 2147418112, 2147418112};
#endif
/* clang-format on */

/* f(x) from the table word of x's interval: the end point T[i] in the top half, the slope
 * T[i + 1] - T[i] in the bottom half (two's complement); `bits` of fraction. */
RP_INLINE int32_t rp_interp_q15(int32_t word, int32_t frac, int32_t bits) {
  return rp_asr(word, 16) + rp_asr(rp_smlabb(word, frac, (int32_t)1 << (bits - 1)), bits);
}

/* sigmoid of a Q12 value, saturated to [-16, 16), in Q15 [0, 32767]. */
RP_INLINE int32_t rp_sigmoid_q12(int32_t x) {
  const int32_t u = rp_ssat(x, 17);
  return rp_interp_q15(rp_sigmoid_table[rp_asr(u, 8) + 256], u & 255, 8);
}

/* tanh of a Q12 value, saturated to [-8, 8), in Q15 [-32768, 32767]. */
RP_INLINE int32_t rp_tanh_q12(int32_t x) {
  const int32_t u = rp_ssat(x, 16);
  return rp_interp_q15(rp_tanh_table[rp_asr(u, 7) + 256], u & 127, 7);
}

/* The Q12 -> Q15 nonlinearity `kind`. */
RP_INLINE int32_t rp_nonlinearity(int32_t kind, int32_t x) {
  switch (kind) {
  case RP_NL_TANH: return rp_tanh_q12(x);
  case RP_NL_QUANT_SIGM: return rp_clamp((rp_ssat(x, 17) + 4096) * 4, 0, 32768);
  case RP_NL_QUANT_TANH: return rp_clamp(rp_ssat(x, 17) * 8, -32768, 32768);
  default: return rp_sigmoid_q12(x);
  }
}

RP_API int32_t rp_q15_nonlinearity(int32_t kind, int32_t x) { return rp_nonlinearity(kind, x); }

/* sum (x[i] + x_off) * w over int8 x and int16 w whose groups of four are stored in the
 * order w0, w2, w1, w3 (the lanes SXTAB16 produces); a tail of n % 4 is in natural order.
 * Used for inputs too wide to expand on the stack. */
static inline int32_t rp_dot_s8_s16(const int8_t *x, const int16_t *w, int32_t n, int32_t x_off,
                                    int32_t acc) {
  int32_t i = 0;
#if RP_USE_DSP
  uint32_t off = rp_pack_offset(x_off);
  for (; i < (n & ~3); i += 4) {
    uint32_t xv = rp_load32(x + i);
    acc = rp_smlad(rp_sxtab16(off, xv), rp_load32(w + i), acc);
    acc = rp_smlad(rp_sxtab16(off, rp_ror8(xv)), rp_load32(w + i + 2), acc);
  }
#else
  for (; i < (n & ~3); i += 4)
    acc += ((int32_t)x[i] + x_off) * w[i] + ((int32_t)x[i + 2] + x_off) * w[i + 1] +
           ((int32_t)x[i + 1] + x_off) * w[i + 2] + ((int32_t)x[i + 3] + x_off) * w[i + 3];
#endif
  for (i = n & ~3; i < n; ++i) /* the tail (from n & ~3: GCC -O2 proves the loop finite) */
    acc += ((int32_t)x[i] + x_off) * w[i];
  return acc;
}

/* x[i] - zp of n int8 values as int16, every full group of four in the lane order
 * x0, x2, x1, x3 of the RNN1 weights (|x - zp| <= 255). */
RP_INLINE void rp_expand_s8(const int8_t *x, int32_t n, int32_t zp, int16_t *out) {
  int32_t i = 0;
#if RP_USE_DSP
  const uint32_t off = rp_pack_offset(-zp);
  for (; i < (n & ~3); i += 4) {
    uint32_t xv = rp_load32(x + i);
    uint32_t e02 = rp_sxtab16(off, xv), e13 = rp_sxtab16(off, rp_ror8(xv));
    memcpy(out + i, &e02, sizeof e02);
    memcpy(out + i + 2, &e13, sizeof e13);
  }
#else
  for (; i < (n & ~3); i += 4) {
    out[i] = (int16_t)(x[i] - zp);
    out[i + 1] = (int16_t)(x[i + 2] - zp);
    out[i + 2] = (int16_t)(x[i + 1] - zp);
    out[i + 3] = (int16_t)(x[i + 3] - zp);
  }
#endif
  for (i = n & ~3; i < n; ++i) /* the tail (from n & ~3: GCC -O2 proves the loop finite) */
    out[i] = (int16_t)(x[i] - zp);
}

/* acc[j] = (v . w_j) * 2^shift (+ acc[j] when add) over n int16 values for `rows` weight rows
 * w_j = w + j * n, four rows at a time so that each load of a pair of v serves four SMLADs
 * (for n = 4, the RNN1 input of an RGB-plus-one or 4-channel map, v stays in registers). */
RP_INLINE void rp_dot_rows_n(const int16_t *v, const int16_t *w, int32_t n, int32_t rows,
                             int32_t shift, int32_t add, int32_t *acc) {
  int32_t *const end = acc + rows, *const end4 = acc + (rows & ~3);
  int32_t i;
#if RP_USE_DSP
  if (n == 4) {
    const uint32_t x01 = rp_load32(v), x23 = rp_load32(v + 2);
    for (; acc < end; ++acc, w += 4) {
      int32_t a = rp_smlad(x23, rp_load32(w + 2), rp_smlad(x01, rp_load32(w), 0));
      *acc = add ? *acc + a * ((int32_t)1 << shift) : a * ((int32_t)1 << shift);
    }
    return;
  }
#endif
  for (; acc < end4; acc += 4, w += 4 * n) {
    const int16_t *w0 = w, *w1 = w + n, *w2 = w1 + n, *w3 = w2 + n;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    i = 0;
#if RP_USE_DSP
    for (; i < (n & ~1); i += 2) {
      uint32_t xv = rp_load32(v + i);
      a0 = rp_smlad(xv, rp_load32(w0 + i), a0);
      a1 = rp_smlad(xv, rp_load32(w1 + i), a1);
      a2 = rp_smlad(xv, rp_load32(w2 + i), a2);
      a3 = rp_smlad(xv, rp_load32(w3 + i), a3);
    }
#endif
    for (; i < n; ++i) {
      int32_t x = v[i];
      a0 += x * w0[i];
      a1 += x * w1[i];
      a2 += x * w2[i];
      a3 += x * w3[i];
    }
    a0 *= (int32_t)1 << shift;
    a1 *= (int32_t)1 << shift;
    a2 *= (int32_t)1 << shift;
    a3 *= (int32_t)1 << shift;
    if (add) {
      a0 += acc[0];
      a1 += acc[1];
      a2 += acc[2];
      a3 += acc[3];
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
  }
  for (; acc < end; ++acc, w += n) {
    int32_t a = 0;
    i = 0;
#if RP_USE_DSP
    for (; i < (n & ~1); i += 2)
      a = rp_smlad(rp_load32(v + i), rp_load32(w + i), a);
#endif
    for (; i < n; ++i)
      a += (int32_t)v[i] * w[i];
    a *= (int32_t)1 << shift;
    *acc = add ? *acc + a : a;
  }
}

/* rp_dot_rows_n with the common vector lengths as constants (fully unrolled inner loops). */
static void rp_dot_rows_s16(const int16_t *v, const int16_t *w, int32_t n, int32_t rows,
                            int32_t shift, int32_t add, int32_t *acc) {
  if (n == 16 && add)
    rp_dot_rows_n(v, w, 16, rows, 0, 1, acc);
  else if (n == 16)
    rp_dot_rows_n(v, w, 16, rows, shift, 0, acc);
  else if (n == 8 && add)
    rp_dot_rows_n(v, w, 8, rows, 0, 1, acc);
  else if (n == 8)
    rp_dot_rows_n(v, w, 8, rows, shift, 0, acc);
  else if (add)
    rp_dot_rows_n(v, w, n, rows, shift, 1, acc);
  else
    rp_dot_rows_n(v, w, n, rows, shift, 0, acc);
}

#if RP_USE_DSP
/* acc[j] = (x . W_j) * 2^shift + h . U_j for all `rows` = hidden units in one pass, four rows
 * at a time with the accumulators in registers (x has `in` int16 values, h has `rows`). */
RP_INLINE void rp_preact_n(const int16_t *x, const int16_t *w, int32_t in, const int16_t *h,
                           const int16_t *u, int32_t rows, int32_t shift, int32_t *acc) {
  int32_t j, i;
  for (j = 0; j + 4 <= rows; j += 4, w += 4 * in, u += 4 * rows, acc += 4) {
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    RP_UNROLL(8)
    for (i = 0; i + 2 <= in; i += 2) {
      uint32_t xv = rp_load32(x + i);
      a0 = rp_smlad(xv, rp_load32(w + i), a0);
      a1 = rp_smlad(xv, rp_load32(w + in + i), a1);
      a2 = rp_smlad(xv, rp_load32(w + 2 * in + i), a2);
      a3 = rp_smlad(xv, rp_load32(w + 3 * in + i), a3);
    }
    RP_UNROLL(8)
    for (i = 0; i + 2 <= rows; i += 2) {
      uint32_t hv = rp_load32(h + i);
      b0 = rp_smlad(hv, rp_load32(u + i), b0);
      b1 = rp_smlad(hv, rp_load32(u + rows + i), b1);
      b2 = rp_smlad(hv, rp_load32(u + 2 * rows + i), b2);
      b3 = rp_smlad(hv, rp_load32(u + 3 * rows + i), b3);
    }
    acc[0] = a0 * ((int32_t)1 << shift) + b0;
    acc[1] = a1 * ((int32_t)1 << shift) + b1;
    acc[2] = a2 * ((int32_t)1 << shift) + b2;
    acc[3] = a3 * ((int32_t)1 << shift) + b3;
  }
}
#endif

/* h' from the accumulated (x.W) * 2^x_shift + h.U of one unit and its old h (see the
 * header: the biases carry the rounding of the shift to Q12, zeta and nu are Q14);
 * zeta_nu = (zeta + nu) * 2^15 + 2^14. */
RP_INLINE int16_t rp_fg_update(int32_t acc, int32_t bz, int32_t bh, int32_t acc_shift,
                               int32_t zeta_nu, int32_t zeta, int32_t s, int32_t h,
                               int32_t gate, int32_t update) {
  int32_t z = rp_nonlinearity(gate, rp_asr(acc + bz, acc_shift));
  int32_t c = rp_nonlinearity(update, rp_asr(acc + bh, acc_shift));
  /* f((zeta * (32768 - z) + 16384) / 2^15) + nu as one multiply-subtract from
   * (zeta + nu) * 2^15 + 16384 (nu * 2^15 is a multiple of 2^15, so the floor is the same). */
  int32_t coef = rp_asr(zeta_nu - zeta * z, 15);
  return rp_sat16(rp_asr(z * h + 16384, 15) +
                  rp_asr(coef * c + ((int32_t)1 << (13 + s)), 14 + s));
}

/* h[j] = update(acc[j], h[j]) for every hidden unit, in place (the old h_j is read only by
 * unit j's update once the pre-activations are computed); the old h is 0 when `zero`. The
 * nonlinearities are arguments so that the common pairs get loops of their own. */
RP_INLINE void rp_fg_update_all(const rp_fastgrnn_params *p, const int32_t *acc, int16_t *h,
                                int32_t zero, int32_t gate, int32_t update) {
  const int32_t n = p->hidden, sh = p->acc_shift, zeta = p->zeta;
  const int32_t zeta_nu = (p->zeta + p->nu) * 32768 + 16384, s = p->state_shift;
  const int32_t *bz = p->bz, *bh = p->bh;
  int32_t j;
  if (!zero)
    for (j = 0; j < n; ++j)
      h[j] = rp_fg_update(acc[j], bz[j], bh[j], sh, zeta_nu, zeta, s, h[j], gate, update);
  else
    for (j = 0; j < n; ++j)
      h[j] = rp_fg_update(acc[j], bz[j], bh[j], sh, zeta_nu, zeta, s, 0, gate, update);
}

#if RP_USE_DSP
/* rp_fg_update_all for two sequences of one cell, a and b, whose accumulators are
 * interleaved (acc2[2 j], acc2[2 j + 1]): unit j of both shares its bias loads. */
RP_INLINE void rp_fg_update2_all(const rp_fastgrnn_params *p, const int32_t *acc2, int16_t *ha,
                                 int16_t *hb, int32_t gate, int32_t update) {
  const int32_t n = p->hidden, sh = p->acc_shift, zeta = p->zeta;
  const int32_t zeta_nu = (p->zeta + p->nu) * 32768 + 16384, s = p->state_shift;
  const int32_t *bz = p->bz, *bh = p->bh;
  int32_t j;
  for (j = 0; j < n; ++j) {
    const int32_t z = bz[j], c = bh[j];
    ha[j] = rp_fg_update(acc2[2 * j], z, c, sh, zeta_nu, zeta, s, ha[j], gate, update);
    hb[j] = rp_fg_update(acc2[2 * j + 1], z, c, sh, zeta_nu, zeta, s, hb[j], gate, update);
  }
}
#endif

#if RP_FG_ASM
#define RP_FG_ASM_UPDATE 1
/* rp_fg_update2_all for 16 hidden units, sigmoid gate and tanh update, with hb = ha + 16, as
 * inline assembly in two passes (each fits the registers; GCC spills the fused loop):
 * 1. per unit, both sequences: z = sigmoid and c = tanh of the biased pre-activations, packed
 *    as z | c << 16 over the accumulators (21 instructions per unit and sequence);
 * 2. h' from z, c and the old h (10.5). The same operations as rp_fg_update: coef is
 *    zeta_nu + z * (-zeta) (SMLABB; zeta <= 2^14 fits a halfword), z * h + 2^14 one SMLABB. */
/* Pass 1's saturations of the sigmoid input (to 17 bits) and of the tanh input (to 16 bits):
 * with an accumulator shift of at least 15 (16) the shifted int32 already fits, and the SSAT
 * is left out (RP_FG_NOSAT). */
#define RP_FG_SAT17(r) "ssat %[" #r "], #17, %[" #r "]\n\t"
#define RP_FG_SAT16(r) "ssat %[" #r "], #16, %[" #r "]\n\t"
#define RP_FG_NOSAT(r) ""
#define RP_FG_PASS1_UNIT(SZ, SC)                                                               \
  __asm__ volatile("ldrd %[za], %[zb], [%[pa]]\n\t"                                            \
                   "ldr %[i], [%[bz]], #4\n\t"                                                 \
                   "ldr %[w], [%[bh]], #4\n\t"                                                 \
                   "add %[ca], %[za], %[w]\n\t"                                                \
                   "add %[cb], %[zb], %[w]\n\t"                                                \
                   "add %[za], %[za], %[i]\n\t"                                                \
                   "add %[zb], %[zb], %[i]\n\t"                                                \
                   "asr %[za], %[za], %[sh]\n\t" /* sigmoid of a */                            \
                   SZ(za)                                                                      \
                   "asr %[i], %[za], #8\n\t"                                                   \
                   "ldr %[w], [%[ts], %[i], lsl #2]\n\t"                                       \
                   "uxtb %[za], %[za]\n\t"                                                     \
                   "smlabb %[za], %[w], %[za], %[k128]\n\t"                                    \
                   "asr %[w], %[w], #16\n\t"                                                   \
                   "add %[za], %[w], %[za], asr #8\n\t"                                        \
                   "asr %[ca], %[ca], %[sh]\n\t" /* tanh of a */                               \
                   SC(ca)                                                                      \
                   "asr %[i], %[ca], #7\n\t"                                                   \
                   "ldr %[w], [%[tt], %[i], lsl #2]\n\t"                                       \
                   "and %[ca], %[ca], #127\n\t"                                                \
                   "smlabb %[ca], %[w], %[ca], %[k128]\n\t"                                    \
                   "asr %[w], %[w], #16\n\t"                                                   \
                   "add %[ca], %[w], %[ca], asr #8\n\t"                                        \
                   "asr %[zb], %[zb], %[sh]\n\t" /* sigmoid of b */                            \
                   SZ(zb)                                                                      \
                   "asr %[i], %[zb], #8\n\t"                                                   \
                   "ldr %[w], [%[ts], %[i], lsl #2]\n\t"                                       \
                   "uxtb %[zb], %[zb]\n\t"                                                     \
                   "smlabb %[zb], %[w], %[zb], %[k128]\n\t"                                    \
                   "asr %[w], %[w], #16\n\t"                                                   \
                   "add %[zb], %[w], %[zb], asr #8\n\t"                                        \
                   "asr %[cb], %[cb], %[sh]\n\t" /* tanh of b */                               \
                   SC(cb)                                                                      \
                   "asr %[i], %[cb], #7\n\t"                                                   \
                   "ldr %[w], [%[tt], %[i], lsl #2]\n\t"                                       \
                   "and %[cb], %[cb], #127\n\t"                                                \
                   "smlabb %[cb], %[w], %[cb], %[k128]\n\t"                                    \
                   "asr %[w], %[w], #16\n\t"                                                   \
                   "add %[cb], %[w], %[cb], asr #8\n\t"                                        \
                   "pkhbt %[za], %[za], %[ca], lsl #16\n\t"                                    \
                   "pkhbt %[zb], %[zb], %[cb], lsl #16\n\t"                                    \
                   "strd %[za], %[zb], [%[pa]], #8\n\t"                                        \
                   : [pa] "+r"(pa), [bz] "+r"(bz), [bh] "+r"(bh), [za] "=&r"(za),              \
                     [ca] "=&r"(ca), [zb] "=&r"(zb), [cb] "=&r"(cb), [i] "=&r"(i),             \
                     [w] "=&r"(w)                                                              \
                   : [ts] "r"(ts), [tt] "r"(tt), [sh] "r"(sh), [k128] "r"(k128)                \
                   : "memory");
#define RP_FG_PASS1(SZ, SC) RP_REP8(RP_FG_PASS1_UNIT(SZ, SC))

/* coef * c + 2^(13 + s) from the packed z | c in r: c extracted and one MLA, or, when coef
 * fits a halfword (zeta + nu < 2^15, so that coef is in [0, 2^15)), one SMLATB. */
#define RP_FG_COEF_MLA(r)                                                                      \
  "asr %[" #r "], %[" #r "], #16\n\t"                                                         \
  "mla %[co], %[co], %[" #r "], %[rc]\n\t"
#define RP_FG_COEF_SMLATB(r) "smlatb %[co], %[" #r "], %[co], %[rc]\n\t"
#define RP_FG_PASS2_UNIT(COEF_C)                                                               \
  __asm__ volatile("ldrd %[x], %[y], [%[pa]], #8\n\t"                                          \
                   "ldrsh %[h], [%[ph], %[ho]]\n\t" /* sequence b (hb = ha + n) */             \
                   "smlabb %[hz], %[y], %[h], %[k]\n\t"                                        \
                   "smlabb %[co], %[y], %[nz], %[zn]\n\t"                                      \
                   "asr %[co], %[co], #15\n\t"                                                 \
                   COEF_C(y)                                                                   \
                   "asr %[co], %[co], %[s14]\n\t"                                              \
                   "add %[co], %[co], %[hz], asr #15\n\t"                                      \
                   "ssat %[co], #16, %[co]\n\t"                                                \
                   "strh %[co], [%[ph], %[ho]]\n\t"                                            \
                   "ldrsh %[h], [%[ph]]\n\t" /* sequence a */                                  \
                   "smlabb %[hz], %[x], %[h], %[k]\n\t"                                        \
                   "smlabb %[co], %[x], %[nz], %[zn]\n\t"                                      \
                   "asr %[co], %[co], #15\n\t"                                                 \
                   COEF_C(x)                                                                   \
                   "asr %[co], %[co], %[s14]\n\t"                                              \
                   "add %[co], %[co], %[hz], asr #15\n\t"                                      \
                   "ssat %[co], #16, %[co]\n\t"                                                \
                   "strh %[co], [%[ph]], #2\n\t"                                               \
                   : [pa] "+r"(pa), [ph] "+r"(ph), [x] "=&r"(x), [y] "=&r"(y), [h] "=&r"(h),   \
                     [hz] "=&r"(hz), [co] "=&r"(co)                                            \
                   : [nz] "r"(nzeta), [zn] "r"(zn), [rc] "r"(rc), [s14] "r"(s14),              \
                     [k] "r"(16384), [ho] "r"(hoff)                                            \
                   : "memory")

static void rp_fg_update2_st(const rp_fastgrnn_params *p, int32_t *acc2, int16_t *ha) {
  const int32_t *bz = p->bz, *bh = p->bh;
  int32_t *pa = acc2;
  int16_t *ph = ha;
  const int32_t *const ts = rp_sigmoid_table + 256, *const tt = rp_tanh2_table + 256;
  const int32_t sh = p->acc_shift, k128 = 128;
  int32_t za, ca, zb, cb, i, w, g;
  const int32_t n = p->hidden; /* 8 or 16: eight units per block */
  if (sh >= 16)
    for (g = 0; g < n; g += 8) {
      RP_FG_PASS1(RP_FG_NOSAT, RP_FG_NOSAT)
    }
  else if (sh == 15)
    for (g = 0; g < n; g += 8) {
      RP_FG_PASS1(RP_FG_NOSAT, RP_FG_SAT16)
    }
  else
    for (g = 0; g < n; g += 8) {
      RP_FG_PASS1(RP_FG_SAT17, RP_FG_SAT16)
    }
  pa = acc2;
  {
    const int32_t nzeta = -p->zeta, zn = (p->zeta + p->nu) * 32768 + 16384;
    const int32_t rc = (int32_t)1 << (13 + p->state_shift), s14 = 14 + p->state_shift;
    int32_t x, y, h, hz, co;
    const int32_t hoff = 2 * n; /* bytes from ha to hb */
    if (p->zeta + p->nu < 32768)
      for (g = 0; g < n; g += 8) {
        RP_REP8(RP_FG_PASS2_UNIT(RP_FG_COEF_SMLATB);)
      }
    else
      for (g = 0; g < n; g += 8) {
        RP_REP8(RP_FG_PASS2_UNIT(RP_FG_COEF_MLA);)
      }
  }
}
#undef RP_FG_PASS1
#undef RP_FG_PASS1_UNIT
#undef RP_FG_PASS2_UNIT
#undef RP_FG_COEF_MLA
#undef RP_FG_COEF_SMLATB
#undef RP_FG_SAT17
#undef RP_FG_SAT16
#undef RP_FG_NOSAT
#endif

#if RP_USE_DSP
/* The update of two sequences of a cell from interleaved accumulators (overwritten). */
static void rp_fg_update2(const rp_fastgrnn_params *p, int32_t *acc2, int16_t *ha,
                          int16_t *hb) {
  if (p->gate == RP_NL_SIGMOID && p->update == RP_NL_TANH) {
#ifdef RP_FG_ASM_UPDATE
    if ((p->hidden == 8 || p->hidden == 16) && hb == ha + p->hidden) {
      rp_fg_update2_st(p, acc2, ha);
      return;
    }
#endif
    rp_fg_update2_all(p, acc2, ha, hb, RP_NL_SIGMOID, RP_NL_TANH);
  } else {
    rp_fg_update2_all(p, acc2, ha, hb, p->gate, p->update);
  }
}
#endif

/* One step h <- cell(x, h), in place, with x int16 (RNN1: expanded by rp_expand_s8) or, for
 * inputs too wide to expand, int8 x8 (RNN1 form); with first, the old h is 0 (unread). */
static void rp_fg_step(const rp_fastgrnn_params *p, const int16_t *x, const int8_t *x8,
                       int16_t *h, int32_t first) {
  int32_t acc[RP_FASTGRNN_MAX_HIDDEN];
  const int32_t in = p->in_dim, n = p->hidden;
  int32_t j;
#if RP_USE_DSP
  if (!x8 && !first && n == 16 && in == 4) /* the common cells in one pass */
    rp_preact_n(x, p->w, 4, h, p->u, 16, p->x_shift, acc);
  else if (!x8 && !first && n == 16 && in == 16)
    rp_preact_n(x, p->w, 16, h, p->u, 16, p->x_shift, acc);
  else
#endif
  {
    if (x8)
      for (j = 0; j < n; ++j)
        acc[j] = rp_dot_s8_s16(x8, p->w + j * in, in, -p->x_zp, 0) * ((int32_t)1 << p->x_shift);
    else
      rp_dot_rows_s16(x, p->w, in, n, p->x_shift, 0, acc);
    if (!first)
      rp_dot_rows_s16(h, p->u, n, n, 0, 1, acc);
  }
  if (p->gate == RP_NL_SIGMOID && p->update == RP_NL_TANH)
    rp_fg_update_all(p, acc, h, first, RP_NL_SIGMOID, RP_NL_TANH);
  else if (p->gate == RP_NL_QUANT_SIGM && p->update == RP_NL_QUANT_TANH)
    rp_fg_update_all(p, acc, h, first, RP_NL_QUANT_SIGM, RP_NL_QUANT_TANH);
  else
    rp_fg_update_all(p, acc, h, first, p->gate, p->update);
}

#if RP_USE_DSP
#if RP_FG_ASM
/* a_k += va . m_k and b_k += vb . m_k for the four weight rows m_k = m + k * len (len even, a
 * constant; np = len / 2 pairs), where vb = va + d (d a constant, in elements): each weight
 * word serves both vectors. As inline assembly, 14 instructions per pair of inputs and four
 * rows (16 MACs): two vector loads, four weight loads, eight SMLADs (GCC, given the same loop
 * in C, hoists the loads of later pairs and spills them). Eight accumulators, two pointers
 * and three temporaries: 13 registers, as many as a build that keeps a frame pointer has; it
 * needs an optimised build (the plain C below otherwise). */
#define RP_ROWS4X2(va, dist, m, len, np)                                                       \
  do {                                                                                         \
    const int16_t *p_ = (va), *w_ = (m);                                                       \
    uint32_t x_, y_, k_;                                                                       \
    __asm__(RP_REP##np("ldr %[y], [%[p], %[vd]]\n\t"                                           \
                       "ldr %[x], [%[p]], #4\n\t"                                              \
                       "ldr %[k], [%[w]], #4\n\t"                                              \
                       "smlad %[a0], %[x], %[k], %[a0]\n\t"                                    \
                       "smlad %[b0], %[y], %[k], %[b0]\n\t"                                    \
                       "ldr %[k], [%[w], %[o1]]\n\t"                                           \
                       "smlad %[a1], %[x], %[k], %[a1]\n\t"                                    \
                       "smlad %[b1], %[y], %[k], %[b1]\n\t"                                    \
                       "ldr %[k], [%[w], %[o2]]\n\t"                                           \
                       "smlad %[a2], %[x], %[k], %[a2]\n\t"                                    \
                       "smlad %[b2], %[y], %[k], %[b2]\n\t"                                    \
                       "ldr %[k], [%[w], %[o3]]\n\t"                                           \
                       "smlad %[b3], %[y], %[k], %[b3]\n\t"                                    \
                       "smlad %[a3], %[x], %[k], %[a3]\n\t")                                   \
            : [p] "+r"(p_), [w] "+r"(w_), [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2),         \
              [a3] "+r"(a3), [b0] "+r"(b0), [b1] "+r"(b1), [b2] "+r"(b2), [b3] "+r"(b3),       \
              [x] "=&r"(x_), [y] "=&r"(y_), [k] "=&r"(k_)                                      \
            : [vd] "i"(2 * (dist)), [o1] "i"(2 * (len) - 4), [o2] "i"(4 * (len) - 4),          \
              [o3] "i"(6 * (len) - 4)                                                          \
            : "memory");                                                                       \
  } while (0)
#else
/* a_k += va . m_k and b_k += vb . m_k, vb = va + d, for the four weight rows m_k = m + k * len
 * (len even): each weight word serves both vectors. */
#define RP_ROWS4X2(va, dist, m, len, np)                                                       \
  do {                                                                                         \
    int32_t i_;                                                                                \
    RP_UNROLL(8)                                                                               \
    for (i_ = 0; i_ + 2 <= (len); i_ += 2) {                                                   \
      const uint32_t x = rp_load32((va) + i_), y = rp_load32((va) + (dist) + i_);              \
      uint32_t k = rp_load32((m) + i_);                                                        \
      a0 = rp_smlad(x, k, a0), b0 = rp_smlad(y, k, b0);                                        \
      k = rp_load32((m) + (len) + i_);                                                         \
      a1 = rp_smlad(x, k, a1), b1 = rp_smlad(y, k, b1);                                        \
      k = rp_load32((m) + 2 * (len) + i_);                                                     \
      a2 = rp_smlad(x, k, a2), b2 = rp_smlad(y, k, b2);                                        \
      k = rp_load32((m) + 3 * (len) + i_);                                                     \
      a3 = rp_smlad(x, k, a3), b3 = rp_smlad(y, k, b3);                                        \
    }                                                                                          \
  } while (0)
#endif

/* rp_preact_n for two inputs and states of the same cell, xb = xa + RP_FG_MAX_EXPANDED and
 * hb = ha + 16 (16 hidden units): every weight load serves both sequences (four rows, eight
 * accumulators in registers across the x and h passes). The results are interleaved,
 * acc2[2 j] for sequence a and acc2[2 j + 1] for b; without `with_h` (first steps, h = 0)
 * only x.W is computed. */
RP_INLINE void rp_preact2_n(const int16_t *xa, const int16_t *w, int32_t in, const int16_t *ha,
                            const int16_t *u, int32_t rows, int32_t shift, int32_t with_h,
                            int32_t *acc2) {
  int32_t j;
  for (j = 0; j + 4 <= rows; j += 4, w += 4 * in, u += 4 * rows, acc2 += 8) {
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    if (in == 4)
      RP_ROWS4X2(xa, RP_FG_MAX_EXPANDED, w, 4, 2);
    else if (in == 8)
      RP_ROWS4X2(xa, RP_FG_MAX_EXPANDED, w, 8, 4);
    else
      RP_ROWS4X2(xa, RP_FG_MAX_EXPANDED, w, 16, 8);
    if (shift) {
      a0 *= (int32_t)1 << shift, a1 *= (int32_t)1 << shift;
      a2 *= (int32_t)1 << shift, a3 *= (int32_t)1 << shift;
      b0 *= (int32_t)1 << shift, b1 *= (int32_t)1 << shift;
      b2 *= (int32_t)1 << shift, b3 *= (int32_t)1 << shift;
    }
    if (with_h && rows == 8)
      RP_ROWS4X2(ha, 8, u, 8, 4);
    else if (with_h)
      RP_ROWS4X2(ha, 16, u, 16, 8);
    acc2[0] = a0, acc2[1] = b0, acc2[2] = a1, acc2[3] = b1;
    acc2[4] = a2, acc2[5] = b2, acc2[6] = a3, acc2[7] = b3;
  }
}

/* RNN2 with n = 8 or 16 inputs and 16 or 8 hidden units: acc2 = the interleaved
 * (x.W) * 2^shift of xa and xb. */
static RP_NOINLINE void rp_xpass2(const int16_t *xa, const int16_t *xb, const int16_t *w,
                                  int32_t n, int32_t rows, int32_t shift, int32_t *acc2) {
  int16_t x2[2 * 16]; /* the two inputs side by side, as the assembly addresses them */
  const int32_t *const end = acc2 + 2 * rows;
  if (n == 8) { /* constant sizes: inline copies */
    memcpy(x2, xa, 8 * sizeof *x2);
    memcpy(x2 + 16, xb, 8 * sizeof *x2);
  } else {
    memcpy(x2, xa, 16 * sizeof *x2);
    memcpy(x2 + 16, xb, 16 * sizeof *x2);
  }
  for (; acc2 < end; w += 4 * n, acc2 += 8) {
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    if (n == 8)
      RP_ROWS4X2(x2, 16, w, 8, 4);
    else
      RP_ROWS4X2(x2, 16, w, 16, 8);
    acc2[0] = a0 * ((int32_t)1 << shift), acc2[1] = b0 * ((int32_t)1 << shift);
    acc2[2] = a1 * ((int32_t)1 << shift), acc2[3] = b1 * ((int32_t)1 << shift);
    acc2[4] = a2 * ((int32_t)1 << shift), acc2[5] = b2 * ((int32_t)1 << shift);
    acc2[6] = a3 * ((int32_t)1 << shift), acc2[7] = b3 * ((int32_t)1 << shift);
  }
}

/* acc2 = xw + h.U of ha and hb = ha + n (n = 8 or 16 hidden units), interleaved as
 * rp_preact2_n's; with `swap` the two sequences' x.W in xw are exchanged (xw[2 j + 1] is
 * sequence a's), so that the backward half of RNN2 reads the forward half's x.W in place. */
RP_INLINE void rp_hpass2_n(const int16_t *ha, const int16_t *u, int32_t n, const int32_t *xw,
                           int32_t swap, int32_t *acc2) {
  const int32_t *const end = acc2 + 2 * n;
  const int32_t sa = swap ? 1 : 0, sb = swap ? 0 : 1;
  for (; acc2 < end; u += 4 * n, acc2 += 8, xw += 8) {
    int32_t a0 = xw[sa], b0 = xw[sb], a1 = xw[2 + sa], b1 = xw[2 + sb];
    int32_t a2 = xw[4 + sa], b2 = xw[4 + sb], a3 = xw[6 + sa], b3 = xw[6 + sb];
    if (n == 8)
      RP_ROWS4X2(ha, 8, u, 8, 4);
    else
      RP_ROWS4X2(ha, 16, u, 16, 8);
    acc2[0] = a0, acc2[1] = b0, acc2[2] = a1, acc2[3] = b1;
    acc2[4] = a2, acc2[5] = b2, acc2[6] = a3, acc2[7] = b3;
  }
}

static RP_NOINLINE void rp_hpass2(const int16_t *ha, const int16_t *u, int32_t n,
                                  const int32_t *xw, int32_t swap, int32_t *acc2) {
  if (swap)
    rp_hpass2_n(ha, u, n, xw, 1, acc2);
  else
    rp_hpass2_n(ha, u, n, xw, 0, acc2);
}
#undef RP_ROWS4X2
#endif

/* Two steps of one cell on independent sequences, a and b, with int16 inputs (expanded); the
 * weight loads are shared where a kernel for the sizes exists. The same bytes as two calls
 * of rp_fg_step. */
static void rp_fg_step2(const rp_fastgrnn_params *p, const int16_t *xa, const int16_t *xb,
                        int16_t *ha, int16_t *hb, int32_t first) {
#if RP_USE_DSP
  const int32_t in = p->in_dim, n = p->hidden;
  if ((n == 8 || n == 16) && (in == 4 || in == 8 || in == 16) &&
      xb == xa + RP_FG_MAX_EXPANDED && hb == ha + n) {
    int32_t acc2[2 * 16];
    if (n == 16 && in == 4)
      rp_preact2_n(xa, p->w, 4, ha, p->u, 16, p->x_shift, !first, acc2);
    else if (n == 16 && in == 8)
      rp_preact2_n(xa, p->w, 8, ha, p->u, 16, p->x_shift, !first, acc2);
    else if (n == 16)
      rp_preact2_n(xa, p->w, 16, ha, p->u, 16, p->x_shift, !first, acc2);
    else if (in == 4)
      rp_preact2_n(xa, p->w, 4, ha, p->u, 8, p->x_shift, !first, acc2);
    else if (in == 8)
      rp_preact2_n(xa, p->w, 8, ha, p->u, 8, p->x_shift, !first, acc2);
    else
      rp_preact2_n(xa, p->w, 16, ha, p->u, 8, p->x_shift, !first, acc2);
    if (first) { /* the old states are 0 (and not read before this) */
      memset(ha, 0, (size_t)n * sizeof *ha);
      memset(hb, 0, (size_t)n * sizeof *hb);
    }
    rp_fg_update2(p, acc2, ha, hb);
    return;
  }
#endif
  rp_fg_step(p, xa, 0, ha, first);
  rp_fg_step(p, xb, 0, hb, first);
}

/* One step of a cell with an int8 input (RNN1 form, x_zp applies). */
static void rp_fg_step_s8(const rp_fastgrnn_params *p, const int8_t *x, int16_t *h,
                          int32_t first) {
  int16_t xe[RP_FG_MAX_EXPANDED];
  if (p->in_dim > RP_FG_MAX_EXPANDED) {
    rp_fg_step(p, 0, x, h, first);
    return;
  }
  rp_expand_s8(x, p->in_dim, p->x_zp, xe);
  rp_fg_step(p, xe, 0, h, first);
}

RP_API void rp_fastgrnn_sweep_s8(const rp_fastgrnn_params *p, const int8_t *x, int32_t count,
                                 int32_t stride, int16_t *h, int16_t *tmp) {
  int32_t t;
  (void)tmp; /* the steps update h in place */
  for (t = 0; t < count; ++t)
    rp_fg_step_s8(p, x + t * stride, h, t == 0);
  if (count == 0)
    memset(h, 0, (size_t)p->hidden * sizeof *h);
}

/* RNN1 over count pixels from (y, x) in steps of (dy, dx); the summary goes to h. */
static void rp_rnn1_segment(const rp_rnnpool_params *p, const rp_view *in, int32_t y, int32_t x,
                            int32_t dy, int32_t dx, int32_t count, int16_t *h) {
  int32_t t;
  for (t = 0; t < count; ++t)
    rp_fg_step_s8(&p->rnn1, rp_view_pixel(in, y + t * dy, x + t * dx, p->in_c), h, t == 0);
}

/* RNN1 over two segments of count pixels, from (ya, xa) and (yb, xb), in steps of (dy, dx),
 * side by side; the summaries go to ha and hb. */
static void rp_rnn1_segment2(const rp_rnnpool_params *p, const rp_view *in, int32_t ya,
                             int32_t xa, int16_t *ha, int32_t yb, int32_t xb, int16_t *hb,
                             int32_t dy, int32_t dx, int32_t count) {
  const rp_fastgrnn_params *c = &p->rnn1;
  int16_t e[2 * RP_FG_MAX_EXPANDED]; /* side by side, as rp_fg_step2's fast path wants */
  int16_t *const ea = e, *const eb = e + RP_FG_MAX_EXPANDED;
  int32_t t;
  if (c->in_dim > RP_FG_MAX_EXPANDED) {
    rp_rnn1_segment(p, in, ya, xa, dy, dx, count, ha);
    rp_rnn1_segment(p, in, yb, xb, dy, dx, count, hb);
    return;
  }
  {
    /* The pixels are stepped through by pointer: (dy, dx) is (0, 1) or (1, 0), and a ring
     * view's rows wrap from its last row to its first (no division per step). */
    const int32_t step = (dy * in->cols + dx) * p->in_c;
    const int32_t wrap = in->ring_rows ? in->ring_rows * in->cols * p->in_c : 0;
    const int8_t *pa = rp_view_pixel(in, ya, xa, p->in_c), *pb = rp_view_pixel(in, yb, xb, p->in_c);
    const int8_t *const ring_end = in->data + wrap;
    for (t = 0; t < count; ++t) {
      if (c->in_dim == 4) { /* a constant size: straight-line expansion */
        rp_expand_s8(pa, 4, c->x_zp, ea);
        rp_expand_s8(pb, 4, c->x_zp, eb);
      } else {
        rp_expand_s8(pa, c->in_dim, c->x_zp, ea);
        rp_expand_s8(pb, c->in_dim, c->x_zp, eb);
      }
      rp_fg_step2(c, ea, eb, ha, hb, t == 0);
      if (t + 1 < count) {
        pa += step, pb += step;
        if (wrap && pa >= ring_end)
          pa -= wrap;
        if (wrap && pb >= ring_end)
          pb -= wrap;
      }
    }
  }
}

/* RNN2 forward and backward over len summaries side by side, the t-th at base + ((start +
 * t) % len) * stride; writes 2 * h2 int8 outputs to dst. h holds 2 * h2 values. */
static void rp_rnn2_both(const rp_rnnpool_params *p, const int16_t *base, int32_t start,
                         int32_t len, int32_t stride, int8_t *dst, int16_t *h) {
  const int32_t h2 = p->rnn2.hidden;
  int32_t t, j;
#if RP_USE_DSP
  const rp_fastgrnn_params *c = &p->rnn2;
  if ((h2 == 8 || h2 == 16) && (c->in_dim == 8 || c->in_dim == 16) &&
      len <= 2 * RP_RNN2_SHARED) {
    /* The forward sweep's step t and the backward sweep's step len - 1 - t read the same
     * summary: its x.W is computed once, for the pair (t, len - 1 - t), in the first half. */
    int32_t xw[RP_RNN2_SHARED][2 * 16], acc2[2 * 16];
    const int32_t half = (len + 1) / 2;
    for (t = 0; t < half; ++t)
      rp_xpass2(base + ((start + t) % len) * stride,
                base + ((start + len - 1 - t) % len) * stride, c->w, c->in_dim, h2, c->x_shift,
                xw[t]);
    for (t = 0; t < len; ++t) {
      if (t == 0) { /* h = 0: the x.W alone (kept in xw for step len - 1) */
        if (h2 == 8)
          memcpy(acc2, xw[0], 2 * 8 * sizeof *acc2);
        else
          memcpy(acc2, xw[0], 2 * 16 * sizeof *acc2);
        memset(h, 0, (size_t)(2 * h2) * sizeof *h);
      } else if (t < half) {
        rp_hpass2(h, c->u, h2, xw[t], 0, acc2);
      } else { /* the pair's x.W with the two sequences swapped */
        rp_hpass2(h, c->u, h2, xw[len - 1 - t], 1, acc2);
      }
      rp_fg_update2(c, acc2, h, h + h2);
    }
  } else
#endif
    for (t = 0; t < len; ++t)
      rp_fg_step2(&p->rnn2, base + ((start + t) % len) * stride,
                  base + ((start + len - 1 - t) % len) * stride, h, h + h2, t == 0);
  for (j = 0; j < 2 * h2; ++j) {
    int32_t v = rp_requant_inline(h[j], p->out_mult, p->out_shift) + p->out_zp;
    dst[j] = (int8_t)rp_clamp(v, -128, 127);
  }
}

RP_API size_t rp_rnnpool_scratch_bytes(const rp_rnnpool_params *p, int32_t region_cols,
                                       int32_t reuse) {
  return rp_rnnpool_scratch_size(p->patch_h, p->patch_w, p->rnn1.hidden, p->rnn2.hidden,
                                 reuse ? region_cols : 1, sizeof(int16_t));
}

RP_API void rp_rnnpool_s8(const rp_rnnpool_params *p, const rp_view *in, rp_view *out,
                          const rp_region *region, void *scratch, int32_t reuse) {
  const int32_t h1 = p->rnn1.hidden, h2 = p->rnn2.hidden, ph = p->patch_h, pw = p->patch_w;
  const int32_t cache_cols = reuse ? region->col1 - region->col0 : 1;
  int16_t *row_cache = (int16_t *)scratch;
  int16_t *col_cache = row_cache + ph * cache_cols * h1;
  /* After the caches: one RNN1 state (unused: RNN1 states live in their cache slots) and
   * the two RNN2 states of a forward and backward sweep. */
  int16_t *state2 = col_cache + (pw + 1) * h1;
  int32_t oi, oj, y, x;
  /* Input rows whose row summaries the row cache already holds (rows_done - ph and up). */
  int32_t rows_done = reuse == RP_RNNPOOL_CONTINUE && region->row0 > 0
                          ? (region->row0 - 1) * p->stride_h + ph
                          : 0;
  for (oi = region->row0; oi < region->row1; ++oi) {
    const int32_t y0 = oi * p->stride_h;
    int32_t cols_done = 0;
    if (reuse) { /* the row segments this patch row adds, for every patch column */
      for (y = rp_max(y0, rows_done); y < y0 + ph; ++y) {
        int16_t *slot = row_cache + (y % ph) * cache_cols * h1;
        for (oj = region->col0; oj + 1 < region->col1; oj += 2, slot += 2 * h1)
          rp_rnn1_segment2(p, in, y, oj * p->stride_w, slot, y, (oj + 1) * p->stride_w,
                           slot + h1, 0, 1, pw);
        if (oj < region->col1)
          rp_rnn1_segment(p, in, y, oj * p->stride_w, 0, 1, pw, slot);
      }
      rows_done = y0 + ph;
    }
    for (oj = region->col0; oj < region->col1; ++oj) {
      const int32_t x0 = oj * p->stride_w;
      int8_t *dst = rp_view_pixel(out, oi, oj, 4 * h2);
      if (!reuse) {
        for (y = y0; y + 1 < y0 + ph; y += 2)
          rp_rnn1_segment2(p, in, y, x0, row_cache + (y % ph) * h1, y + 1, x0,
                           row_cache + ((y + 1) % ph) * h1, 0, 1, pw);
        if (y < y0 + ph)
          rp_rnn1_segment(p, in, y, x0, 0, 1, pw, row_cache + (y % ph) * h1);
        cols_done = 0;
      }
      for (x = rp_max(x0, cols_done); x + 1 < x0 + pw; x += 2)
        rp_rnn1_segment2(p, in, y0, x, col_cache + (x % pw) * h1, y0, x + 1,
                         col_cache + ((x + 1) % pw) * h1, 1, 0, ph);
      if (x < x0 + pw)
        rp_rnn1_segment(p, in, y0, x, 1, 0, ph, col_cache + (x % pw) * h1);
      cols_done = x0 + pw;
      rp_rnn2_both(p, row_cache + (reuse ? oj - region->col0 : 0) * h1, y0, ph, cache_cols * h1,
                   dst, state2);
      rp_rnn2_both(p, col_cache, x0, pw, h1, dst + 2 * h2, state2);
    }
  }
}
