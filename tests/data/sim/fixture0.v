// Hand-written fixture for tests/sim/test_rtl_sim.py: the function of fixture2.v with latency 0
// (combinational: out_* = f(in_data), out_valid = in_valid, in_ready = out_ready).
module fixture0 (
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
    wire [2:0] pop = in_data[0] + in_data[1] + in_data[2] + in_data[3] + in_data[4] + in_data[5];
    wire [3:0] sum = in_data[2:0] + in_data[5:3];

    assign in_ready = out_ready;
    assign out_valid = in_valid;
    assign out_a = pop;
    assign out_pred = sum[1:0] + pop[1:0];
endmodule
