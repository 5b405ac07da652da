// Internal to compiler/plan: turns a schedule (an operator order and the regions executed
// in row bands or tiles) into steps and buffers, then places the buffers in the arena.
#pragma once

#include "compiler/plan/Plan.h"

#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <unordered_map>

namespace rnnpoolc::plan {

/// What the search decides; buildPlan turns it into an executable plan.
struct Schedule {
  std::vector<size_t> order;       ///< Every node once, dependencies first.
  std::vector<RegionInfo> regions; ///< Each a run of consecutive nodes of `order`.
};

struct BuildOptions {
  bool floatActivations = false;
  bool streamInput = false;
  bool inPlace = true; ///< Elementwise layer steps may overwrite an input that dies.
  /// Record when each row of a whole tensor is first written and last read, so that rows
  /// already consumed can hold rows not yet produced (slower to place; used to refine).
  bool rowLifetimes = false;
  /// With rowLifetimes: a buffer's rows are grouped into at most this many runs of one
  /// life (placement's cost grows with the runs; the search's candidates take 16), or each
  /// row keeps its own life (0; the chosen plan).
  int rowRuns = 16;
  /// With rowLifetimes: the rows of rings have their own lifetimes too, each reserving its
  /// slot only from its first write to its last read, so that the slots a ring holds no
  /// live row in (an input ring between the rows of tiles that read it, a ring handed on
  /// between the bursts that fill it) can hold other buffers meanwhile; gaps of fewer than
  /// `ringGap` steps between the rows of a slot are reserved all the same (placement's cost
  /// grows with the reservations). Rings that others lie inside (Buffer::within) keep one
  /// life. So does the scratch of a depthwise conv in place in row bands, which no step
  /// reads after the one that wrote it: it is reserved over runs of its steps
  /// (Buffer::stepRuns). Not in the search's candidates; the chosen schedule is tried with
  /// it.
  bool ringRowLifetimes = false;
  int ringGap = 4;
  /// With rowLifetimes: an elementwise op of row bands (a block's residual Add) whose output
  /// and an input are both held whole with row lifetimes, of one region, writes each output
  /// row over the input row it reads for the last time (Buffer::aliasOf, row by row), so
  /// the output takes the input's rows as they die rather than rows of its own beside them.
  /// Not in the search's candidates; the chosen schedule is tried with it.
  bool inPlaceRows = false;
  /// With rowLifetimes: a Pad whose input is held whole and whose output is a one-row ring
  /// writes that ring over its input's first row, which its first step reads for the last
  /// time (Builder::padOverInput, Buffer::aliasOffset): the ring then reserves only the
  /// bytes it is wider than the row beside the input. Not in the search's candidates; the
  /// chosen schedule is tried with it.
  bool padOverInput = false;
  /// Keep a kernel's scratch over all the row-band steps of its node, so that it can carry
  /// its cache from one band to the next (RNNPool's row summaries: fewer MACs, counted by
  /// regionMacs as the kernel sweeps them, the scratch live longer). The search plans with
  /// it (PlanOptions::carryScratch).
  bool carryScratch = false;
  /// Screening only (the search's candidates, never a plan that runs or is verified): each
  /// row-band step of an RNNPool keeps a scratch of its own, as without carryScratch, but
  /// is priced as carrying, so that schedules are compared by the MACs the carried plan
  /// will have and by arenas without the carried scratch.
  bool priceCarried = false;
  /// With streamInput: a row-band region streams the input's rows into a whole-frame
  /// buffer with row lifetimes rather than a ring, so the space of rows it has consumed can
  /// hold rows of later tensors, as a resident frame's can (better when the region's
  /// output is about as large as its input). The final schedule is tried with.
  bool streamIntoFrame = false;
  /// With streamInput: the streamed input is read whole before the first op (one stream
  /// step), so the plan is the resident frame's, streamed. The final schedule is tried
  /// with it, so that a streamed plan is never larger than the resident plan of its
  /// schedule.
  bool streamFirst = false;
  /// Row bands: a depthwise conv (plan::depthwiseInPlace) whose input ring only it reads
  /// and whose consumers read its output a row at a time writes each output row over the
  /// ring's slot of the top row of that row's window (Buffer::within), through a scratch
  /// of `inPlaceChunk` pixels (plus the left padding's). Not in the search's candidates
  /// (lean builds); the chosen schedule is tried with it.
  bool depthwiseInPlace = false;
  int64_t inPlaceChunk = 8;
  /// Tiles: a depthwise conv of stride 1 whose input, computed in the tile, only it reads
  /// writes its output over that input (Buffer::aliasOf), each row over the input row on
  /// top of its window, `inPlaceChunk` pixels at a time through a scratch
  /// (Builder::inPlaceHosts).
  bool tilesInPlace = false;
  /// Tiles: a 1x1 expansion computed in the tile and read only by a depthwise conv
  /// (plan::fusesExpansion) is computed inside the conv's steps, a group of channels at a
  /// time (Step::fusedExpansion; rp_expand_dw_s8), so that its tile is never held for all
  /// its channels. The chosen schedule is tried with it.
  bool fuseExpansions = false;
  /// Row bands: such an expansion is computed inside its depthwise conv's steps too, a
  /// group of channels at a time (Step::fusedRows; rp_expand_dw_rows_s8), each of its rows
  /// once: the rows that consecutive windows share are carried in the scratch, every
  /// channel. Where the carry and the conv's output row hold fewer bytes than the
  /// expansion's rows the windows span (a stride-2 conv: a row and a half of the expansion
  /// against three). The chosen schedule is tried with it.
  bool fuseRows = false;
  /// With fuseExpansions or fuseRows: every pair that can be is fused, whether or not it
  /// holds fewer bytes (tests of the builder and the verifier on graphs of few channels).
  bool fuseEverywhere = false;
  /// With fuseExpansions or fuseRows: the channels computed together (Step::fusedGroup); more
  /// cost scratch, fewer cost kernel calls. The chosen schedule is tried with larger groups.
  int64_t fuseGroup = 16;
};

/// Whether `node` can be part of a row-band or tile region: a spatial op whose output and
/// non-constant inputs are [1, C, H, W], a Slice of the channels of such a map
/// (ir::isChannelSlice), or a Concat of such maps along their channels (ir::isChannelConcat;
/// row bands only, Builder::checkTiles).
bool isRegionable(const ir::Graph &graph, const ir::Node &node);

/// Whether schedule.regions[region] may hand its output off to the next region
/// (RegionInfo::handOff): both run in row bands or tiles, the next right after it in the
/// order, and the next reads its output, the only tensor of it read outside it (a row of
/// tiles completes rows of its output, an inner tensor written whole tile by tile would
/// not be complete; an accumulating reduction completes only at the end), and it reads no
/// model input that a region of the chain of hand-offs ending here reads.
bool mayHandOff(const ir::Graph &graph, const Schedule &schedule, size_t region);

/// Clears the hand-offs that mayHandOff no longer allows (after the regions changed).
void settleHandOffs(const ir::Graph &graph, Schedule &schedule);

/// Steps, buffers with live ranges, in-place aliases, offsets and the summary. Errors only
/// for schedules the search should not have produced (reported as internal).
Expected<Plan> buildPlan(const ir::Graph &graph, const Schedule &schedule,
                         const BuildOptions &options);

/// How hard placement tries (Placement.cpp): Greedy is TensorFlow Lite Micro's greedy by
/// size (the baseline, and the search's comparisons of candidates); Thorough tries several
/// orders and fits and repairs the best (the candidates that decide a search round), never
/// above Greedy; Final repairs the three best (the chosen plan).
enum class Placement : uint8_t { Greedy, Thorough, Final };

/// Placements made, by all that decides them (what each buffer reserves over which steps,
/// the number of steps, the effort): placement is deterministic, and the searches of one
/// makePlan finish many plans whose buffers differ only in what placement does not see
/// (rows in runs or each on its own where no row outlives its run, the carried scratch of an
/// RNNPool that runs layer by layer, ...): on rpool_face_qvga_mono streamed, three in five
/// of the final placements' work. Shared by threads; one that asks for a placement another
/// is making waits for it.
class PlacementMemo {
public:
  /// The offsets placed for `key` (by buffer: a family's at its root's index); `place`
  /// makes them the first time.
  std::vector<int64_t> offsets(const std::string &key,
                               const std::function<std::vector<int64_t>()> &place);

private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_future<std::vector<int64_t>>> placed_;
};

/// Arena offsets for every buffer, then the summary (arena, live peak, peak step).
/// `memo`: placements already made, reused.
void placeBuffers(Plan &plan, Placement effort, PlacementMemo *memo = nullptr);
/// The same for buffers whose steps are known only by what they compute: `sites[k]` is the
/// node of step k (SIZE_MAX for a Stream step). Sets the summary's figures but its MACs.
void placeBuffers(std::vector<Buffer> &buffers, const std::vector<size_t> &sites,
                  Summary &summary, Placement effort, PlacementMemo *memo = nullptr);

/// The bytes reserved at each step of a placed or unplaced plan, as placement counts them
/// (its live peak is their maximum): a family of buffers computed in place over one another
/// reserves each member's bytes until the next takes over, rows with their own lifetimes
/// only while they live, and a buffer inside a ring nothing of its own.
std::vector<int64_t> reservedBytes(const Plan &plan);

/// The summary of `schedule`'s plan placed with `effort`: what buildPlan and placeBuffers
/// give, without keeping the steps (the search compares thousands of candidates by it).
Expected<Summary> summarizePlan(const ir::Graph &graph, const Schedule &schedule,
                                const BuildOptions &options, Placement effort);

} // namespace rnnpoolc::plan
