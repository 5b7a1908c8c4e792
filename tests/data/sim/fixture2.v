// Hand-written fixture for tests/sim/test_rtl_sim.py: obeys the gatecomp RTL port contract
// with latency 2 (clock enable = out_ready, synchronous active-high reset).
//   out_a    = popcount(in_data)                                   (stage 1, then registered)
//   out_pred = (in_data[2:0] + in_data[5:3] + popcount(in_data)) mod 4   (split over 2 stages)
// Defining EXTRA_STAGE adds a third register stage (a wrong-latency variant); defining
// COMBINATIONAL gives the same function with latency 0 (out_* = f(in_data), out_valid =
// in_valid), which tests/sim/test_rtl_sim.py names fixture0.
module fixture2 (
    input  wire       clk,
    input  wire       rst,
    input  wire       in_valid,
    output wire       in_ready,
    input  wire [5:0] in_data,
    output wire       out_valid,
    input  wire       out_ready,
    output wire [2:0] out_a,
    output wire [1:0] out_pred
);
    assign in_ready = out_ready;

    wire [2:0] pop = in_data[0] + in_data[1] + in_data[2] + in_data[3] + in_data[4] + in_data[5];
    wire [3:0] sum = in_data[2:0] + in_data[5:3];

    reg       v1, v2;
    reg [2:0] p1, a2;
    reg [3:0] s1;
    reg [1:0] pred2;
    always @(posedge clk) begin
        if (rst) begin
            v1 <= 1'b0;
            v2 <= 1'b0;
        end else if (out_ready) begin
            v1 <= in_valid;
            p1 <= pop;
            s1 <= sum;
            v2 <= v1;
            a2 <= p1;
            pred2 <= s1[1:0] + p1[1:0];
        end
    end

`ifdef COMBINATIONAL
    assign out_valid = in_valid;
    assign out_a = pop;
    assign out_pred = sum[1:0] + pop[1:0];
`elsif EXTRA_STAGE
    reg       v3;
    reg [2:0] a3;
    reg [1:0] pred3;
    always @(posedge clk) begin
        if (rst) v3 <= 1'b0;
        else if (out_ready) begin
            v3 <= v2;
            a3 <= a2;
            pred3 <= pred2;
        end
    end
    assign out_valid = v3;
    assign out_a = a3;
    assign out_pred = pred3;
`else
    assign out_valid = v2;
    assign out_a = a2;
    assign out_pred = pred2;
`endif
endmodule
